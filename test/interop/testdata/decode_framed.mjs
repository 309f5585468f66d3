// Decodes Confluent-framed Avro records with avsc: reads {"schemas": {id: schema JSON},
// "records": [hex]} from the file, checks each record's magic byte, takes the 4-byte big-endian
// schema id, decodes the rest with that registered schema and prints the values as JSON (bytes
// as {"$hex": ...}).
import { readFileSync } from 'node:fs'
import avro from 'avsc'

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const types = {}
for (const [id, schema] of Object.entries(input.schemas)) types[id] = avro.Type.forSchema(JSON.parse(schema))
const out = input.records.map(h => {
  const buf = Buffer.from(h, 'hex')
  if (buf[0] !== 0) throw new Error('magic byte ' + buf[0])
  const id = buf.readInt32BE(1)
  return { id, value: types[id].fromBuffer(buf.subarray(5)) }
})
process.stdout.write(JSON.stringify(out, function (k, v) {
  const raw = this[k]
  if (Buffer.isBuffer(raw)) return { $hex: raw.toString('hex') }
  return v
}))
