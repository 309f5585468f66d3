// Reads an Avro object container file with avsc and prints its codec and records as JSON:
// bytes as {"$hex": ...}. avsc decodes null and deflate itself; snappy (hyparquet's decoder,
// after the block's 4-byte CRC) and zstandard (fzstd) are given to it.
import zlib from 'node:zlib'
import avro from 'avsc'
import { snappyUncompress } from 'hyparquet'
import { decompress as zstd } from 'fzstd'

function snappy (buf, cb) {
  try {
    const data = buf.subarray(0, buf.length - 4)
    let len = 0
    for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
      len |= (data[i] & 0x7f) << shift
      if (!(data[i] & 0x80)) break
    }
    const out = new Uint8Array(len)
    snappyUncompress(data, out)
    cb(null, Buffer.from(out))
  } catch (e) { cb(e) }
}

const codecs = {
  null: (buf, cb) => cb(null, buf),
  deflate: (buf, cb) => zlib.inflateRaw(buf, cb),
  snappy, zstandard: (buf, cb) => { try { cb(null, Buffer.from(zstd(buf))) } catch (e) { cb(e) } } }
const records = []
let codec
avro.createFileDecoder(process.argv[2], { codecs })
  .on('metadata', (type, c) => { codec = c })
  .on('data', r => records.push(r))
  .on('error', e => { console.error(String(e)); process.exit(1) })
  .on('end', () => {
    process.stdout.write(JSON.stringify({ codec, records }, function (k, v) {
      const raw = this[k]
      if (Buffer.isBuffer(raw)) return { $hex: raw.toString('hex') }
      if (typeof v === 'bigint') return Number(v)
      return v
    }))
  })
