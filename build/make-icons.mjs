// Renders build/icon.svg into every icon electron-builder needs, with sharp (already a dependency):
//   build/icon.png              1024x1024, the master (electron-builder's default icon)
//   build/icons/NxN.png         Linux (AppImage, deb): 16 ... 1024
//   build/icon.ico              Windows (NSIS): 16, 24, 32, 48, 64, 128, 256, PNG-compressed entries
//   build/icon.icns             macOS (dmg): 16 ... 1024 incl. @2x, PNG entries
// ICO and ICNS are simple containers of PNG images, written here directly so no platform tool is needed.
// Run: node build/make-icons.mjs
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import sharp from 'sharp';

const here = path.dirname(fileURLToPath(import.meta.url));
const svg = fs.readFileSync(path.join(here, 'icon.svg'));

async function png(size) {
  return sharp(svg, { density: Math.max(72, Math.ceil((72 * size) / 1024) * 4) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** ICO: header, one 16-byte directory entry per image, then the PNG data (Vista+ reads PNG entries). */
function ico(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  const entries = [];
  let offset = 6 + 16 * images.length;
  for (const { size, data } of images) {
    const e = Buffer.alloc(16);
    e.writeUInt8(size >= 256 ? 0 : size, 0); // 0 means 256
    e.writeUInt8(size >= 256 ? 0 : size, 1);
    e.writeUInt8(0, 2); // palette
    e.writeUInt8(0, 3);
    e.writeUInt16LE(1, 4); // colour planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(data.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += data.length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.data)]);
}

/** ICNS: 'icns' + total length, then (OSType, length incl. 8-byte header, PNG) per image. */
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];
function icns(bySize) {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const data = bySize.get(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

const sizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const bySize = new Map();
for (const size of sizes) bySize.set(size, await png(size));

fs.mkdirSync(path.join(here, 'icons'), { recursive: true });
fs.writeFileSync(path.join(here, 'icon.png'), bySize.get(1024));
for (const size of [16, 32, 48, 64, 128, 256, 512, 1024])
  fs.writeFileSync(path.join(here, 'icons', `${size}x${size}.png`), bySize.get(size));
fs.writeFileSync(
  path.join(here, 'icon.ico'),
  ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, data: bySize.get(size) }))),
);
fs.writeFileSync(path.join(here, 'icon.icns'), icns(bySize));
process.stdout.write(`icons written to ${here}\n`);
