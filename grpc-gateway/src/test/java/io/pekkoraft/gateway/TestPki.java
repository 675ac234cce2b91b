package io.pekkoraft.gateway;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at run time for the TLS tests (BouncyCastle): a CA, and certificates it signs for a
 * server (127.0.0.1 and localhost) or a client, written as PEM files.
 */
public final class TestPki {

  private static final AtomicLong SERIAL = new AtomicLong(1);

  /** A key pair and its certificate, and the issuer's key if it is a CA. */
  public record Identity(String name, KeyPair keys, X509Certificate certificate) {

    /** A certificate for a server at 127.0.0.1 / localhost, signed by this CA. */
    public Identity issueServer(String name, KeyPair keys) throws Exception {
      return new Identity(name, keys, sign(this, name, keys, false, KeyPurposeId.id_kp_serverAuth,
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")));
    }

    /** A client certificate, signed by this CA. */
    public Identity issueClient(String name) throws Exception {
      KeyPair keys = ec();
      return new Identity(name, keys, sign(this, name, keys, false, KeyPurposeId.id_kp_clientAuth));
    }

    /** The certificate as PEM, in {@code dir}/{@code name}.pem. */
    public Path writeCertificate(Path dir) throws IOException {
      return write(dir.resolve(name + ".pem"), certificate);
    }

    /** The private key as PKCS#8 PEM ("PRIVATE KEY"), in {@code dir}/{@code name}-key.pem. */
    public Path writePkcs8Key(Path dir) throws IOException {
      return write(dir.resolve(name + "-key.pem"), new JcaPKCS8Generator(keys.getPrivate(), null));
    }

    /** The private key in OpenSSL's traditional PEM ("RSA PRIVATE KEY" for RSA: PKCS#1). */
    Path writeTraditionalKey(Path dir) throws IOException {
      return write(dir.resolve(name + "-key.pem"), keys.getPrivate());
    }
  }

  private TestPki() {}

  public static Identity ca(String name) throws Exception {
    KeyPair keys = ec();
    return new Identity(name, keys, sign(null, name, keys, true, null));
  }

  public static KeyPair ec() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    return generator.generateKeyPair();
  }

  static KeyPair rsa() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(Identity issuer, String name, KeyPair keys, boolean ca, KeyPurposeId purpose,
      GeneralName... names) throws Exception {
    X500Name subject = new X500Name("CN=" + name);
    X500Name issuerName = issuer == null ? subject : new X500Name(issuer.certificate.getSubjectX500Principal().getName());
    PrivateKey signingKey = issuer == null ? keys.getPrivate() : issuer.keys.getPrivate();
    Instant now = Instant.now();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
        BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
    if (issuer != null) {
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          extensions.createAuthorityKeyIdentifier(issuer.certificate));
    }
    if (ca) {
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    }
    if (names.length > 0) builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
    String algorithm = signingKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder(algorithm).build(signingKey)));
  }

  public static Path write(Path file, Object... objects) throws IOException {
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
      for (Object o : objects) writer.writeObject(o);
    }
    return Files.writeString(file, pem.toString());
  }
}
