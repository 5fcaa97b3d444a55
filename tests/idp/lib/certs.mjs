// A test CA and a server certificate for 127.0.0.1 / localhost, made with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const detail = err.stderr ? err.stderr.toString() : err.message;
    if (err.code === 'ENOENT') {
      throw new Error('the openssl command is missing (Debian package: openssl)');
    }
    throw new Error(`openssl ${args[0]} failed: ${detail}`);
  }
}

function serial() {
  // Positive 16-byte serial.
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return `0x${b.toString('hex')}`;
}

/**
 * Writes ca.pem, ca-key.pem, server.pem and server-key.pem into dir (EC P-256, valid 7 days,
 * server SAN IP:127.0.0.1 and DNS:localhost). Returns the paths and PEM contents.
 */
export function makeCertificates(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'ca.cnf'), [
    '[req]',
    'distinguished_name = dn',
    'x509_extensions = v3_ca',
    'prompt = no',
    '[dn]',
    'CN = Tessera Test CA',
    'O = Tessera tests',
    '[v3_ca]',
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n'));
  openssl(['req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '7',
    '-config', 'ca.cnf', '-set_serial', serial()], dir);

  writeFileSync(join(dir, 'server.cnf'), [
    'subjectAltName = IP:127.0.0.1, DNS:localhost',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid, issuer',
    '',
  ].join('\n'));
  openssl(['req', ...ec, '-keyout', 'server-key.pem', '-out', 'server.csr',
    '-subj', '/CN=127.0.0.1/O=Tessera tests'], dir);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
    '-set_serial', serial(), '-days', '7', '-sha256', '-extfile', 'server.cnf', '-out', 'server.pem'], dir);
  for (const f of ['ca.cnf', 'server.cnf', 'server.csr']) rmSync(join(dir, f), { force: true });

  const files = {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server-key.pem'),
  };
  return {
    ...files,
    ca: readFileSync(files.caFile),
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
  };
}
