package io.pekkoraft.gateway.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;
import org.apache.pekko.pki.pem.PEMLoadingException;

/**
 * The gateway's TLS: its certificate chain and private key, and for mutual TLS the client CAs, read from the
 * PEM files that {@link TlsSettings} names. HTTP/2 is negotiated over it with ALPN by Pekko HTTP.
 *
 * <p>A file that cannot be read, holds no PEM of the expected kind, or a key that does not belong to the
 * certificate stops the start with an {@link IllegalArgumentException} naming the key and the file.
 */
public final class GatewayTls {

  /** Key algorithms tried for a PKCS#8 ({@code PRIVATE KEY}) file. */
  private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");

  private GatewayTls() {}

  /** The server side of TLS for {@code newServerAt(...).enableHttps(...)}, with client certificates required if mutual. */
  public static HttpsConnectionContext httpsContext(TlsSettings tls) {
    SSLContext context = sslContext(tls);
    boolean mutual = tls.mutual();
    return ConnectionContext.httpsServer(() -> {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      if (mutual) engine.setNeedClientAuth(true);
      return engine;
    });
  }

  /** The TLS context of {@code tls}: its key manager, and a trust manager of the client CAs if mutual. */
  public static SSLContext sslContext(TlsSettings tls) {
    if (!tls.enabled()) throw new IllegalStateException(TlsSettings.PATH + ".enabled is off");
    String chainKey = TlsSettings.PATH + ".cert-chain-file";
    String keyKey = TlsSettings.PATH + ".private-key-file";
    List<X509Certificate> chain = certificates(tls.certChainFile(), chainKey);
    PrivateKey key = privateKey(tls.privateKeyFile(), keyKey);
    checkKeyMatches(key, chain.get(0), keyKey + " '" + tls.privateKeyFile().toAbsolutePath() + "'",
        chainKey + " '" + tls.certChainFile().toAbsolutePath() + "'");
    try {
      char[] password = new char[0];
      KeyStore identity = KeyStore.getInstance("PKCS12");
      identity.load(null, null);
      identity.setKeyEntry("gateway", key, password, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(identity, password);
      TrustManagerFactory trustManagers = null;
      if (tls.mutual()) {
        String caKey = TlsSettings.PATH + ".client-ca-file";
        KeyStore cas = KeyStore.getInstance("PKCS12");
        cas.load(null, null);
        int i = 0;
        for (X509Certificate ca : certificates(tls.clientCaFile().get(), caKey)) cas.setCertificateEntry("ca-" + i++, ca);
        trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(cas);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers.getKeyManagers(), trustManagers == null ? null : trustManagers.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(TlsSettings.PATH + ": the certificate and key from " + chainKey + " '"
          + tls.certChainFile().toAbsolutePath() + "' and " + keyKey + " '" + tls.privateKeyFile().toAbsolutePath()
          + "' do not make a TLS context: " + e, e);
    }
  }

  /** Every certificate in a PEM file, in the file's order (for a chain: the server's own first). */
  static List<X509Certificate> certificates(Path file, String key) {
    String where = key + " '" + file.toAbsolutePath() + "'";
    byte[] bytes = read(file, where);
    if (!new String(bytes, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException(where + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    try {
      List<X509Certificate> certificates = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes)).stream().map(c -> (X509Certificate) c).toList();
      if (certificates.isEmpty()) throw new CertificateException("no certificate found");
      return certificates;
    } catch (CertificateException e) {
      throw new IllegalArgumentException(where + " is not a readable PEM certificate: " + e.getMessage(), e);
    }
  }

  /**
   * The private key in a PEM file: PKCS#8 ({@code PRIVATE KEY}: RSA, EC, Ed25519, Ed448) or PKCS#1
   * ({@code RSA PRIVATE KEY}), not encrypted.
   */
  static PrivateKey privateKey(Path file, String key) {
    String where = key + " '" + file.toAbsolutePath() + "'";
    String pem = new String(read(file, where), StandardCharsets.US_ASCII);
    PEMDecoder.DERData der;
    try {
      der = PEMDecoder.decode(pem);
    } catch (PEMLoadingException | IllegalArgumentException e) {
      throw new IllegalArgumentException(where + " holds no PEM private key: " + e.getMessage(), e);
    }
    switch (der.label()) {
      case "RSA PRIVATE KEY":
        try {
          return DERPrivateKeyLoader.load(der);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(where + " is not a readable PKCS#1 RSA private key: " + e.getMessage(), e);
        }
      case "PRIVATE KEY":
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der.bytes());
        for (String algorithm : KEY_ALGORITHMS) {
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(spec);
          } catch (GeneralSecurityException | RuntimeException notThisOne) {
            // try the next algorithm
          }
        }
        throw new IllegalArgumentException(where + " is not a readable PKCS#8 private key of " + KEY_ALGORITHMS);
      case "ENCRYPTED PRIVATE KEY":
        throw new IllegalArgumentException(where + " is encrypted; the gateway reads unencrypted keys only"
            + " (protect the file by its permissions; decrypt with: openssl pkcs8 -in KEY -out KEY.pem)");
      case "EC PRIVATE KEY":
        throw new IllegalArgumentException(where + " is an SEC1 EC key; convert it to PKCS#8 with:"
            + " openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem");
      default:
        throw new IllegalArgumentException(where + " holds '" + der.label() + "', not a private key"
            + " (PRIVATE KEY or RSA PRIVATE KEY)");
    }
  }

  /** The key must sign what the certificate's public key verifies: otherwise every handshake would fail. */
  private static void checkKeyMatches(PrivateKey key, X509Certificate certificate, String keyWhere,
      String certificateWhere) {
    PublicKey publicKey = certificate.getPublicKey();
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
      default -> null;  // RSASSA-PSS and others: the handshake itself finds out
    };
    boolean matches;
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      matches = false;
    } else if (algorithm == null) {
      matches = true;
    } else {
      try {
        byte[] probe = "pekko-raft gateway key check".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(publicKey);
        verifier.update(probe);
        matches = verifier.verify(signature);
      } catch (GeneralSecurityException e) {
        matches = false;
      }
    }
    if (!matches) {
      throw new IllegalArgumentException(keyWhere + " does not belong to the first certificate of " + certificateWhere
          + " (" + certificate.getSubjectX500Principal().getName() + "): the key and the certificate must be a pair");
    }
  }

  private static byte[] read(Path file, String where) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + " cannot be read: " + e, e);
    }
  }
}
