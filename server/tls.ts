/**
 * TLS for the manager's two servers: the PEM files named by TLS_CERT_FILE and TLS_KEY_FILE, read
 * and checked once at start (a new certificate takes a restart).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";

/** The certificate and key both servers use, as PEM text. */
export interface ServerTls {
  /** Server certificate chain, leaf first (TLS_CERT_FILE). */
  cert: string;
  /** Private key of the leaf certificate (TLS_KEY_FILE). */
  key: string;
}

/** Where the PEM files are: paths as the variables give them, `undefined` when unset. */
export interface TlsFiles {
  certFile?: string;
  keyFile?: string;
  clientCaFile?: string;
}

/** A TLS file cannot be used; the message names the variable. */
export class TlsFileError extends Error {
  override name = "TlsFileError";
}

function readPem(variable: string, path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw new TlsFileError(`${variable} "${path}" cannot be read: ${(error as Error).message}`);
  }
}

function certificateOf(variable: string, path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new TlsFileError(
      `${variable} "${path}" must hold a PEM certificate: ${(error as Error).message}`,
    );
  }
}

/**
 * Reads and checks the files: a certificate and a key go together (both or neither), and the key
 * must be the certificate's. TLS_CLIENT_CA_FILE (client certificates) is refused: Deno's TLS
 * listener cannot ask for them.
 *
 * @returns the PEM text, or `null` when no file is named (the servers speak plaintext)
 * @throws {TlsFileError} naming the variable whose file is missing, unreadable or not what it must be
 * @example
 * ```ts ignore
 * const tls = readServerTls({ certFile: "server.crt", keyFile: "server.key" });
 * ```
 */
export function readServerTls(files: TlsFiles): ServerTls | null {
  const { certFile, keyFile, clientCaFile } = files;
  if (clientCaFile !== undefined) {
    throw new TlsFileError(
      "TLS_CLIENT_CA_FILE cannot be used yet: the manager cannot ask gRPC clients for certificates on Deno 2.7 (README, Security: TLS)",
    );
  }
  if (certFile === undefined && keyFile === undefined) return null;
  if (certFile === undefined || keyFile === undefined) {
    throw new TlsFileError(
      `TLS_CERT_FILE and TLS_KEY_FILE go together: ${
        certFile === undefined ? "TLS_CERT_FILE" : "TLS_KEY_FILE"
      } is not set`,
    );
  }
  const cert = readPem("TLS_CERT_FILE", certFile);
  const key = readPem("TLS_KEY_FILE", keyFile);
  const leaf = certificateOf("TLS_CERT_FILE", certFile, cert);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new TlsFileError(
      `TLS_KEY_FILE "${keyFile}" must hold a PEM private key: ${(error as Error).message}`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      `TLS_KEY_FILE "${keyFile}" is not the key of the certificate in TLS_CERT_FILE "${certFile}"`,
    );
  }
  return { cert, key };
}
