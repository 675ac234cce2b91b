package io.pekkoraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.pekkoraft.gateway.TestPki.Identity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's TLS, mutual TLS and bearer tokens, each seen from a real gRPC client (grpc-java over Netty)
 * against a gateway bound on loopback with certificates made for the run; the call under test is the
 * standard health Check, and reflection for a second service behind the same check.
 */
class GatewaySecurityTest {

  static final String CHECK = "grpc.health.v1.Health/Check";
  static final String REFLECTION = "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  /** A ServerReflectionRequest asking for list_services (field 7, an empty string). */
  static final byte[] LIST_SERVICES = {0x3A, 0x00};
  static final String TOKEN = "s3cret-token-for-the-tests-0123456789";
  static final String OTHER_TOKEN = "another-token-from-the-file-abcdef";

  @TempDir
  static Path dir;
  static ActorTestKit kit;
  static Path caPem;
  static Path serverChain;
  static Path serverKey;
  static Identity client;
  static Identity untrustedClient;

  final List<ServerBinding> bindings = new ArrayList<>();
  final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("GatewaySecurityTest");
    Identity ca = TestPki.ca("test-ca");
    caPem = ca.writeCertificate(dir);
    Identity server = ca.issueServer("gateway", TestPki.ec());
    serverChain = TestPki.write(dir.resolve("gateway-chain.pem"), server.certificate(), ca.certificate());
    serverKey = server.writePkcs8Key(dir);
    client = ca.issueClient("client");
    untrustedClient = TestPki.ca("other-ca").issueClient("untrusted-client");
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void unbind() throws Exception {
    for (ManagedChannel channel : channels) channel.shutdownNow();
    for (ServerBinding binding : bindings) binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  // ---- TLS ----

  @Test
  void healthAnswersOverTlsToAClientThatTrustsTheCa() throws Exception {
    int port = bind(tls());
    assertEquals(ServingStatus.SERVING, check(tlsChannel(port, null), null));
  }

  @Test
  void aPlainTextClientGetsNoAnswerFromATlsGateway() throws Exception {
    int port = bind(tls());
    Reply reply = call(plainChannel(port), CHECK, HealthCheckRequest.getDefaultInstance().toByteArray(), null);
    assertEquals(Status.Code.UNAVAILABLE, reply.status.getCode(), reply.status.toString());
  }

  @Test
  void anRsaKeyInPkcs1PemServesTooAsAnyKeyOpenSslWrites() throws Exception {
    Identity ca = TestPki.ca("rsa-ca");
    Identity server = ca.issueServer("rsa-gateway", TestPki.rsa());
    Path key = server.writeTraditionalKey(dir);
    assertTrue(Files.readString(key).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    int port = bind(tls(server.writeCertificate(dir), key, null));
    Path caFile = ca.writeCertificate(dir);
    ManagedChannel channel = channel(NettyChannelBuilder.forAddress("127.0.0.1", port)
        .sslContext(GrpcSslContexts.forClient().trustManager(caFile.toFile()).build()));
    assertEquals(ServingStatus.SERVING, check(channel, null));
  }

  // ---- mutual TLS ----

  @Test
  void mutualTlsServesOnlyClientsWithACertificateFromTheClientCa() throws Exception {
    int port = bind(tls(serverChain, serverKey, caPem));
    Reply noCertificate = call(tlsChannel(port, null), CHECK, HealthCheckRequest.getDefaultInstance().toByteArray(),
        null);
    assertEquals(Status.Code.UNAVAILABLE, noCertificate.status.getCode(), noCertificate.status.toString());
    Reply untrusted = call(tlsChannel(port, untrustedClient), CHECK,
        HealthCheckRequest.getDefaultInstance().toByteArray(), null);
    assertEquals(Status.Code.UNAVAILABLE, untrusted.status.getCode(), untrusted.status.toString());
    assertEquals(ServingStatus.SERVING, check(tlsChannel(port, client), null));
  }

  // ---- bearer tokens ----

  @Test
  void withoutTheRightBearerTokenACallIsUnauthenticatedAndTheAnswerShowsNoToken() throws Exception {
    int port = bind("pekko-raft.gateway.auth { enabled = on, tokens = [\"" + TOKEN + "\"] }");
    ManagedChannel channel = plainChannel(port);
    byte[] request = HealthCheckRequest.getDefaultInstance().toByteArray();

    Reply missing = call(channel, CHECK, request, null);
    assertEquals(Status.Code.UNAUTHENTICATED, missing.status.getCode(), missing.status.toString());
    assertEquals("this gateway requires a bearer token: send the header 'authorization: Bearer <token>'",
        missing.status.getDescription());

    Reply basic = callWithAuthorization(channel, CHECK, request, "Basic dXNlcjpwYXNzd29yZA==");
    assertEquals(Status.Code.UNAUTHENTICATED, basic.status.getCode(), basic.status.toString());
    assertEquals(missing.status.getDescription(), basic.status.getDescription());

    String wrong = TOKEN.substring(0, TOKEN.length() - 1) + "X";
    Reply refused = call(channel, CHECK, request, wrong);
    assertEquals(Status.Code.UNAUTHENTICATED, refused.status.getCode(), refused.status.toString());
    assertEquals("the bearer token is not valid for this gateway", refused.status.getDescription());

    assertEquals(ServingStatus.SERVING, check(channel, TOKEN));
  }

  @Test
  void reflectionIsBehindTheTokenToo() throws Exception {
    int port = bind("pekko-raft.gateway.auth { enabled = on, tokens = [\"" + TOKEN + "\"] }");
    ManagedChannel channel = plainChannel(port);
    Reply refused = call(channel, REFLECTION, LIST_SERVICES, null);
    assertEquals(Status.Code.UNAUTHENTICATED, refused.status.getCode(), refused.status.toString());
    Reply listed = call(channel, REFLECTION, LIST_SERVICES, TOKEN);
    assertEquals(Status.Code.OK, listed.status.getCode(), listed.status.toString());
    assertTrue(new String(listed.message, StandardCharsets.ISO_8859_1).contains("grpc.health.v1.Health"));
  }

  @Test
  void anOpenServiceIsServedWithoutATokenAndTheOthersStayClosed() throws Exception {
    int port = bind("pekko-raft.gateway.auth { enabled = on, tokens = [\"" + TOKEN + "\"],"
        + " open-services = [\"grpc.health.v1.Health\"] }");
    ManagedChannel channel = plainChannel(port);
    assertEquals(ServingStatus.SERVING, check(channel, null));
    assertEquals(Status.Code.UNAUTHENTICATED, call(channel, REFLECTION, LIST_SERVICES, null).status.getCode());
  }

  @Test
  void tokensFromAFileAndFromTheConfigurationAreBothAccepted() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "# gateway tokens\n\n  " + OTHER_TOKEN + "  \n");
    int port = bind("pekko-raft.gateway.auth { enabled = on, tokens = [\"" + TOKEN + "\"], tokens-file = \""
        + file + "\" }");
    ManagedChannel channel = plainChannel(port);
    assertEquals(ServingStatus.SERVING, check(channel, OTHER_TOKEN));
    assertEquals(ServingStatus.SERVING, check(channel, TOKEN));
  }

  @Test
  void aTokensFileWithoutATokenStopsTheStart() throws Exception {
    Path file = Files.writeString(dir.resolve("no-tokens"), "# " + TOKEN + "\n\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bind("pekko-raft.gateway.auth { enabled = on, tokens-file = \"" + file + "\" }"));
    assertEquals("pekko-raft.gateway.auth.tokens-file '" + file.toAbsolutePath() + "' holds no token (one per line,"
        + " # for comments)", e.getMessage());
  }

  @Test
  void tlsAndATokenTogether() throws Exception {
    int port = bind(tls() + "\npekko-raft.gateway.auth { enabled = on, tokens = [\"" + TOKEN + "\"] }");
    ManagedChannel channel = tlsChannel(port, null);
    assertEquals(Status.Code.UNAUTHENTICATED,
        call(channel, CHECK, HealthCheckRequest.getDefaultInstance().toByteArray(), null).status.getCode());
    assertEquals(ServingStatus.SERVING, check(channel, TOKEN));
  }

  // ---- what stops the start ----

  @Test
  void aNonLoopbackHostWithoutTlsIsRefusedAtStart() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bind("pekko-raft.gateway.host = \"0.0.0.0\""));
    assertEquals("pekko-raft.gateway.host '0.0.0.0' is not a loopback address and the gateway has no TLS: set"
        + " pekko-raft.gateway.tls.enabled = on (with its cert-chain-file and private-key-file), or"
        + " allow-plaintext-non-loopback = on to serve clear text to the network", e.getMessage());
  }

  @Test
  void tlsWithoutItsFilesStopsTheStart() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bind("pekko-raft.gateway.tls.enabled = on"));
    assertEquals("pekko-raft.gateway.tls.cert-chain-file must name a PEM file when pekko-raft.gateway.tls.enabled = on",
        e.getMessage());
  }

  @Test
  void aCertificateFileWithoutPemStopsTheStartNamingTheKeyAndFile() throws Exception {
    Path garbage = Files.writeString(dir.resolve("not-a-cert.pem"), "this is not PEM\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bind(tls(garbage, serverKey, null)));
    assertEquals("pekko-raft.gateway.tls.cert-chain-file '" + garbage.toAbsolutePath()
        + "' holds no PEM certificate (-----BEGIN CERTIFICATE-----)", e.getMessage());
  }

  @Test
  void aKeyFileThatIsMissingOrNotAKeyStopsTheStart() throws Exception {
    Path missing = dir.resolve("no-such-key.pem");
    IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
        () -> bind(tls(serverChain, missing, null)));
    assertTrue(absent.getMessage().startsWith("pekko-raft.gateway.tls.private-key-file '" + missing.toAbsolutePath()
        + "' cannot be read: java.nio.file.NoSuchFileException"), absent.getMessage());
    IllegalArgumentException certificateAsKey = assertThrows(IllegalArgumentException.class,
        () -> bind(tls(serverChain, caPem, null)));
    assertEquals("pekko-raft.gateway.tls.private-key-file '" + caPem.toAbsolutePath() + "' holds 'CERTIFICATE',"
        + " not a private key (PRIVATE KEY or RSA PRIVATE KEY)", certificateAsKey.getMessage());
  }

  @Test
  void aKeyThatIsNotTheCertificatesStopsTheStart() throws Exception {
    Path otherKey = client.writePkcs8Key(dir);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bind(tls(serverChain, otherKey, null)));
    assertEquals("pekko-raft.gateway.tls.private-key-file '" + otherKey.toAbsolutePath() + "' does not belong to"
        + " the first certificate of pekko-raft.gateway.tls.cert-chain-file '" + serverChain.toAbsolutePath()
        + "' (CN=gateway): the key and the certificate must be a pair", e.getMessage());
  }

  @Test
  void aBadTokenInTheConfigurationStopsTheStartWithoutShowingIt() {
    IllegalArgumentException shortToken = assertThrows(IllegalArgumentException.class,
        () -> bind("pekko-raft.gateway.auth { enabled = on, tokens = [\"" + TOKEN + "\", \"short-secret\"] }"));
    assertEquals("pekko-raft.gateway.auth.tokens[1] is shorter than 16 characters", shortToken.getMessage());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> bind("pekko-raft.gateway.auth.enabled = on"));
    assertEquals("pekko-raft.gateway.auth.enabled = on needs tokens: set pekko-raft.gateway.auth.tokens or"
        + " pekko-raft.gateway.auth.tokens-file", none.getMessage());
    String settings = GatewaySettings.fromConfig(ConfigFactory.parseString(
        "pekko-raft.gateway.auth { enabled = on, tokens = [\"" + TOKEN + "\"] }").withFallback(ConfigFactory.load()))
        .toString();
    assertFalse(settings.contains(TOKEN), settings);
  }

  // ---- helpers ----

  static String tls() {
    return tls(serverChain, serverKey, null);
  }

  static String tls(Path chain, Path key, Path clientCa) {
    return "pekko-raft.gateway.tls { enabled = on, cert-chain-file = \"" + chain + "\", private-key-file = \"" + key
        + "\", client-ca-file = \"" + (clientCa == null ? "" : clientCa) + "\" }";
  }

  /** Binds a gateway with {@code config} over the defaults, on a free loopback port. */
  int bind(String config) throws Exception {
    GatewaySettings settings = GatewaySettings.fromConfig(ConfigFactory.parseString(config)
        .withFallback(ConfigFactory.parseString("pekko-raft.gateway.port = 0")).withFallback(ConfigFactory.load()));
    ServerBinding binding = GatewayServer.bind(kit.system(), settings, PekkoRaftGateway.get(kit.system()))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    bindings.add(binding);
    return binding.localAddress().getPort();
  }

  ManagedChannel plainChannel(int port) {
    return channel(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext());
  }

  /** A TLS channel trusting the test CA, presenting {@code identity}'s certificate if not null. */
  ManagedChannel tlsChannel(int port, Identity identity) throws IOException {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(caPem.toFile());
    if (identity != null) {
      ssl.keyManager(identity.writeCertificate(dir).toFile(), identity.writePkcs8Key(dir).toFile());
    }
    return channel(NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl.build()));
  }

  ManagedChannel channel(NettyChannelBuilder builder) {
    ManagedChannel channel = builder.build();
    channels.add(channel);
    return channel;
  }

  static ServingStatus check(ManagedChannel channel, String token) throws Exception {
    Reply reply = call(channel, CHECK, HealthCheckRequest.getDefaultInstance().toByteArray(), token);
    assertEquals(Status.Code.OK, reply.status.getCode(), reply.status.toString());
    assertNotNull(reply.message);
    return HealthCheckResponse.parseFrom(reply.message).getStatus();
  }

  record Reply(Status status, byte[] message) {}

  /** One unary call of {@code method} with raw message bytes, {@code authorization: Bearer token} if not null. */
  static Reply call(ManagedChannel channel, String method, byte[] request, String token) throws Exception {
    return callWithAuthorization(channel, method, request, token == null ? null : "Bearer " + token);
  }

  /** One unary call of {@code method} with raw message bytes and this {@code authorization} header, if not null. */
  static Reply callWithAuthorization(ManagedChannel channel, String method, byte[] request, String authorization)
      throws Exception {
    MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(method)
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    ClientCall<byte[], byte[]> call = channel.newCall(descriptor,
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    Metadata headers = new Metadata();
    if (authorization != null) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
    }
    AtomicReference<byte[]> message = new AtomicReference<>();
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] m) {
        message.set(m);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        reply.complete(new Reply(status, message.get()));
      }
    }, headers);
    call.request(2);
    call.sendMessage(request);
    call.halfClose();
    return reply.get(60, TimeUnit.SECONDS);
  }

  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}
