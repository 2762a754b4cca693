// An SMTP server on a free loopback port that keeps every message it is sent, so a
// browser test can read the mail Vigil sends (confirmations, updates) and follow its links.

import { createServer } from 'node:net';

/** Quoted-printable to text (soft line breaks joined, `=XX` bytes decoded as UTF-8). */
function unquote(text) {
  const joined = text.replace(/=\r\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** One delivered message: recipients, a header by name, and its plain text part. */
function message(to, data) {
  const [head] = data.split('\r\n\r\n');
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const header = (name) => {
    const line = unfolded.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(name.length + 1).trim();
  };
  const start = data.indexOf('Content-Type: text/plain');
  let text = '';
  if (start >= 0) {
    const [partHead, ...rest] = data.slice(start).split('\r\n\r\n');
    // Up to the next MIME boundary (a signature's "-- " line is not one).
    const boundary = /boundary="?([^";\r\n]+)"?/i.exec(data)?.[1];
    const body = rest.join('\r\n\r\n').split(`\r\n--${boundary}`)[0];
    text = /quoted-printable/i.test(partHead) ? unquote(body) : body;
  }
  return { to, data, header, text };
}

export async function startSmtp() {
  const inbox = [];
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let to = [];
    let data = null;
    socket.write('220 sink.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data !== null) {
          if (line === '.') {
            inbox.push(message(to, data));
            data = null;
            to = [];
            socket.write('250 OK\r\n');
          } else {
            data += `${line.startsWith('.') ? line.slice(1) : line}\r\n`;
          }
          continue;
        }
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') socket.write('250-sink.test\r\n250 8BITMIME\r\n');
        else if (verb === 'RCPT') {
          to.push(line.slice(line.indexOf(':') + 1).trim().replace(/^<|>$/g, ''));
          socket.write('250 OK\r\n');
        } else if (verb === 'DATA') {
          data = '';
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `smtp://127.0.0.1:${server.address().port}`,
    /** Waits (up to `timeout` ms) for the `nth` message to `address` whose subject matches. */
    async mailTo(address, subject, { timeout = 15_000 } = {}) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const found = inbox.find((m) => m.to.includes(address) && subject.test(m.header('Subject') ?? ''));
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`no mail to ${address} matching ${subject}; got ${inbox.map((m) => `${m.to} ${m.header('Subject')}`).join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    close() {
      server.close();
    },
  };
}
