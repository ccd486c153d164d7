// Writes a table described by a JSON spec as Parquet (parquet-wasm, i.e. arrow-rs's writer) or as an Arrow IPC file
// (apache-arrow JS) with LZ4-frame or ZSTD body compression, the buffers compressed by the lz4/zstd command-line tools.
// Usage: node write.mjs SPEC.json. SPEC: { "format": "parquet" | "arrow", "compression": "zstd" | "lz4" | "snappy" |
// "gzip" | "uncompressed", "rowGroupRows": N, "out": PATH, "columns": [{ "name", "type": "float64" | "float32" |
// "int64" | "int32" | "int16" | "uint8" | "bool" | "utf8", "values": [...] (null: missing) }] }.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';

// `node write.mjs --random ROWS OUT zstd|lz4` writes 6 float64 columns of pseudo-random numbers in record batches of
// 65536 rows (pyarrow's Feather chunk size) instead: the large file of bench/compare-formats.sh.
function randomSpec([rows, out, compression]) {
  let state = 1n;
  const next = () => { state = (state * 6364136223846793005n + 1442695040888963407n) & 0xFFFFFFFFFFFFFFFFn; return Number(state >> 11n) / 2 ** 53; };
  const names = ['mjj', 'mj1', 'dmj', 'tau21j1', 'tau21j2', 'label'];
  return { format: 'arrow', compression, out, rowGroupRows: 65536, typed: true,
    columns: names.map(name => ({ name, type: 'float64', values: Float64Array.from({ length: Number(rows) }, () => Math.round(next() * 1e6) / 1e3) })) };
}
const spec = process.argv[2] === '--random' ? randomSpec(process.argv.slice(3)) : JSON.parse(readFileSync(process.argv[2], 'utf8'));
const types = {
  float64: () => new arrow.Float64(), float32: () => new arrow.Float32(), int64: () => new arrow.Int64(),
  int32: () => new arrow.Int32(), int16: () => new arrow.Int16(), uint8: () => new arrow.Uint8(),
  bool: () => new arrow.Bool(), utf8: () => new arrow.Utf8(),
};
const vectors = {};
for (const c of spec.columns) {
  if (spec.typed) { vectors[c.name] = arrow.makeVector(c.values); continue; }
  const values = c.type === 'int64' ? c.values.map(v => (v === null ? null : BigInt(v))) : c.values;
  vectors[c.name] = arrow.vectorFromArray(values, types[c.type]());
}
const table = new arrow.Table(vectors);

if (spec.format === 'parquet') {
  const codec = { zstd: parquet.Compression.ZSTD, snappy: parquet.Compression.SNAPPY, gzip: parquet.Compression.GZIP,
    uncompressed: parquet.Compression.UNCOMPRESSED }[spec.compression ?? 'snappy'];
  let props = new parquet.WriterPropertiesBuilder().setCompression(codec);
  if (spec.rowGroupRows) props = props.setMaxRowGroupSize(spec.rowGroupRows);
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  writeFileSync(spec.out, parquet.writeParquet(wasmTable, props.build()));
} else {
  const tool = { zstd: ['zstd', arrow.CompressionType.ZSTD], lz4: ['lz4', arrow.CompressionType.LZ4_FRAME] }[spec.compression];
  if (!tool) throw new Error(`arrow compression must be zstd or lz4, not ${spec.compression}`);
  const lengths = [];
  arrow.compressionRegistry.set(tool[1], {
    encode: data => { lengths.push(data.length); return new Uint8Array(execFileSync(tool[0], ['-c', '-q'], { input: data })); },
  });
  // apache-arrow 21.2.0 writes each compressed buffer's *compressed* length into its 8-byte prefix; the format (and
  // pyarrow, and FastAD) want the uncompressed length there (apache/arrow-js#470, merged, not yet released on npm).
  // Put the lengths right after the writer's own pass: one encode call per non-empty buffer, in order.
  const compress = arrow.RecordBatchWriter.prototype._compressBodyBuffers;
  arrow.RecordBatchWriter.prototype._compressBodyBuffers = function (buffers) {
    lengths.length = 0;
    const result = compress.call(this, buffers);
    for (let i = 0, k = 0; i < result.buffers.length; i += 2) {
      const prefix = result.buffers[i];
      if (prefix.length === 0) continue; // an empty buffer: no prefix, no encode call
      const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
      const n = lengths[k++];
      if (view.getBigInt64(0, true) !== -1n) view.setBigInt64(0, BigInt(n), true);
    }
    return result;
  };
  const writer = new arrow.RecordBatchFileWriter({ compressionType: tool[1] });
  const rows = spec.rowGroupRows ?? table.numRows;
  for (let start = 0; start < table.numRows; start += rows) for (const batch of table.slice(start, start + rows).batches) writer.write(batch);
  writeFileSync(spec.out, writer.finish().toUint8Array(true));
}
