import { doctorReport } from './doctor.js';

const [cmd] = process.argv.slice(2);
if (cmd === 'doctor') {
  for (const [k, v] of Object.entries(doctorReport())) console.log(`${k.padEnd(16)} ${v}`);
} else {
  console.error('usage: featvis doctor');
  process.exit(2);
}
