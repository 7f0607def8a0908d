/**
 * The TLS files of the manager's two servers: TLS_CERT_FILE and TLS_KEY_FILE (both ports) and
 * TLS_CLIENT_CA_FILE (client certificates asked of gRPC clients), read and checked at start and on
 * every reload (SIGHUP).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";

/** The certificate and key both servers use, and the CAs of client certificates, as PEM text. */
export interface ServerTls {
  /** Server certificate chain, leaf first (TLS_CERT_FILE). */
  cert: string;
  /** Private key of the leaf certificate (TLS_KEY_FILE). */
  key: string;
  /**
   * The certificates (one or more) that issue the certificates gRPC clients must present
   * (TLS_CLIENT_CA_FILE); `null` = no client certificate is asked for.
   */
  clientCa: string | null;
  /** Where they were read from, to read them again on reload. */
  files: TlsFiles;
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

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM bundle (TLS_CLIENT_CA_FILE), each parsed.
 *
 * @throws {TlsFileError} when the text holds no certificate or one that cannot be parsed
 */
function certificatesOf(variable: string, path: string, pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new TlsFileError(`${variable} "${path}" must hold at least one PEM certificate`);
  }
  return blocks.map((block) => certificateOf(variable, path, block));
}

/**
 * Reads and checks the files: a certificate and a key go together (both or neither), the key must
 * be the certificate's, and TLS_CLIENT_CA_FILE (needs the other two) must hold PEM certificates.
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
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile === undefined) return null;
    throw new TlsFileError("TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE");
  }
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
  let clientCa: string | null = null;
  if (clientCaFile !== undefined) {
    clientCa = readPem("TLS_CLIENT_CA_FILE", clientCaFile);
    certificatesOf("TLS_CLIENT_CA_FILE", clientCaFile, clientCa);
  }
  return { cert, key, clientCa, files };
}
