// The files the end-to-end test uploads: a folder with a real PNG, text, a nested folder and a file big enough
// to go through a resumable upload.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A width x height RGB PNG with a diagonal gradient. */
export function png(width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (x * 255) / width;
      row[2 + x * 3] = (y * 255) / height;
      row[3 + x * 3] = 160;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function makeFolder() {
  const root = mkdtempSync(join(tmpdir(), 'dupa-e2e-files-'));
  const dir = join(root, 'Trip');
  mkdirSync(join(dir, 'day 2'), { recursive: true });
  const files = {
    'photo.png': png(320, 200),
    'notes.txt': Buffer.from('Packing list: tent, stove, maps.\n'),
    'day 2/żółw.txt': Buffer.from('A turtle, with a Polish name.\n'),
    'day 2/video.bin': randomBytes(9 * 1024 * 1024 + 17),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const edited = join(root, 'edit');
  mkdirSync(edited);
  writeFileSync(join(edited, 'notes.txt'), 'Packing list: tent, stove, maps, and more.\n');
  return { root, dir, files, editedNotes: join(edited, 'notes.txt') };
}
