// Reads a Parquet file with parquet-wasm (arrow-rs's reader) and prints its schema and columns as JSON, so that the
// tests can check what FastAD's writer wrote against the values it was given. Usage: node read.mjs FILE.parquet
import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';

const table = arrow.tableFromIPC(parquet.readParquet(readFileSync(process.argv[2])).intoIPCStream());
const out = { columns: table.schema.fields.map(f => ({
  name: f.name, type: String(f.type), nullable: f.nullable,
  // Numbers as strings (repr-exact for doubles, all digits for int64); NaN and infinities by name.
  values: Array.from(table.getChild(f.name).toArray(), v => (typeof v === 'string' ? v : String(v))),
})) };
process.stdout.write(JSON.stringify(out));
