package io.pekkoraft.gateway.security;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code pekko-raft.gateway.tls}: where the gateway's certificate chain, its private key and (for mutual TLS)
 * the certificates of the client CAs are, as PEM files. The files are read when the gateway starts
 * ({@link GatewayTls#httpsContext}); here only the keys are checked.
 *
 * @param clientCaFile set: mutual TLS, each client must present a certificate signed by one of these CAs
 */
public record TlsSettings(boolean enabled, Path certChainFile, Path privateKeyFile, Optional<Path> clientCaFile) {

  public static final String PATH = "pekko-raft.gateway.tls";

  /** TLS off: the gateway serves HTTP/2 in clear text (h2c). */
  public static final TlsSettings DISABLED = new TlsSettings(false, null, null, Optional.empty());

  public TlsSettings {
    Objects.requireNonNull(clientCaFile, "clientCaFile");
    if (enabled && certChainFile == null) {
      throw new IllegalArgumentException(PATH + ".cert-chain-file must name a PEM file when " + PATH + ".enabled = on");
    }
    if (enabled && privateKeyFile == null) {
      throw new IllegalArgumentException(PATH + ".private-key-file must name a PEM file when " + PATH
          + ".enabled = on");
    }
  }

  /** Reads {@code tls} (the config at {@link #PATH}). */
  public static TlsSettings fromConfig(Config tls) {
    if (!tls.getBoolean("enabled")) return DISABLED;
    return new TlsSettings(true, path(tls, "cert-chain-file").orElse(null),
        path(tls, "private-key-file").orElse(null), path(tls, "client-ca-file"));
  }

  /** Whether clients must present a certificate (mutual TLS). */
  public boolean mutual() {
    return enabled && clientCaFile.isPresent();
  }

  /** For the log: whether TLS is on, and mutual. */
  public String summary() {
    return !enabled ? "plain text (no TLS)" : mutual() ? "mutual TLS" : "TLS";
  }

  private static Optional<Path> path(Config c, String key) {
    String value = c.getString(key).trim();
    return value.isEmpty() ? Optional.empty() : Optional.of(Path.of(value));
  }
}
