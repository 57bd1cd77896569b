/**
 * The subset of the `rocksdb` package (5.x, abstract-leveldown 7 callback API)
 * that src/storage/rocksdb-engine.ts uses.
 */
declare module 'rocksdb' {
  namespace rocksdb {
    type ErrorCallback = (err: Error | null | undefined) => void;

    interface OpenOptions {
      createIfMissing?: boolean;
      errorIfExists?: boolean;
      compression?: boolean;
      cacheSize?: number;
      writeBufferSize?: number;
      blockSize?: number;
      maxOpenFiles?: number;
      blockRestartInterval?: number;
      maxFileSize?: number;
      readOnly?: boolean;
      infoLogLevel?: 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'header' | null;
    }

    interface RangeOptions {
      gt?: Buffer;
      gte?: Buffer;
      lt?: Buffer;
      lte?: Buffer;
      reverse?: boolean;
      limit?: number;
    }

    interface IteratorOptions extends RangeOptions {
      keys?: boolean;
      values?: boolean;
      fillCache?: boolean;
      keyAsBuffer?: boolean;
      valueAsBuffer?: boolean;
      highWaterMark?: number;
    }

    interface BatchOp {
      type: 'put' | 'del';
      key: Buffer;
      value?: Buffer;
    }

    interface Iterator {
      next(cb: (err: Error | null | undefined, key?: Buffer, value?: Buffer) => void): void;
      end(cb: ErrorCallback): void;
    }

    interface RocksDB {
      readonly status: string;
      open(options: OpenOptions, cb: ErrorCallback): void;
      close(cb: ErrorCallback): void;
      get(key: Buffer, options: { asBuffer?: boolean; fillCache?: boolean }, cb: (err: Error | null | undefined, value?: Buffer) => void): void;
      getMany(keys: Buffer[], options: { asBuffer?: boolean; fillCache?: boolean }, cb: (err: Error | null | undefined, values?: Array<Buffer | undefined>) => void): void;
      batch(ops: BatchOp[], options: { sync?: boolean }, cb: ErrorCallback): void;
      clear(options: RangeOptions, cb: ErrorCallback): void;
      iterator(options: IteratorOptions): Iterator;
      getProperty(name: string): string;
      approximateSize(start: Buffer, end: Buffer, cb: (err: Error | null | undefined, size?: number) => void): void;
      compactRange(start: Buffer, end: Buffer, cb: ErrorCallback): void;
    }
  }

  function rocksdb(location: string): rocksdb.RocksDB;
  export = rocksdb;
}
