// Reads a Parquet file with hyparquet (and hyparquet-compressors) and prints its rows as JSON:
// bigints as numbers, bytes as {"$hex": ...}, dates as {"$date": ms}.
import { readFileSync } from 'node:fs'
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const buf = readFileSync(process.argv[2])
const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
const metadata = parquetMetadata(file)
const rows = await parquetReadObjects({ file, compressors, metadata, utf8: false })
const columns = parquetSchema(metadata).children.map(c => c.element.name)
// hyparquet leaves a null group undefined: make it null.
for (const row of rows) for (const c of columns) if (row[c] === undefined) row[c] = null
const codecs = [...new Set(metadata.row_groups.flatMap(g => g.columns.map(c => c.meta_data.codec)))]
process.stdout.write(JSON.stringify({ columns, codecs, rows }, function (k, v) {
  const raw = this[k]
  if (typeof raw === 'bigint') return Number(raw)
  if (raw instanceof Uint8Array) return { $hex: Buffer.from(raw).toString('hex') }
  if (raw instanceof Date) return { $date: raw.getTime() }
  return v
}))
