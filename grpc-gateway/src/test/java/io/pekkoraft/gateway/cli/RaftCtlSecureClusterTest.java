package io.pekkoraft.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.gateway.GroupCodecs;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.gateway.TestPki;
import io.pekkoraft.gateway.cli.RaftCtlClusterTest.Counter;
import io.pekkoraft.gateway.cli.RaftCtlClusterTest.Lines;
import io.pekkoraft.gateway.cli.RaftCtlClusterTest.Run;
import io.pekkoraft.testkit.LocalCluster;
import io.pekkoraft.testkit.TestNetwork;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * raftctl end to end against gateways that require TLS, a client certificate (mutual TLS) and a bearer token,
 * serving a real group of three members (each its own ActorSystem over Artery, durable journal) whose Raft traffic
 * a {@link TestNetwork} can cut, with check-quorum off so that a leader cut off from its followers' answers stays
 * leader and commits nothing. Certificates are made for the run ({@link TestPki}); raftctl runs in this JVM with
 * its output captured, and each test checks its exit code and what it said on standard error.
 */
class RaftCtlSecureClusterTest {

  private static final String GROUP = "counter";
  private static final String TOKEN = "raftctl-test-token-0123456789abcdef";
  private static final Duration STEP = Duration.ofSeconds(30);

  @TempDir
  static Path dir;

  static LocalCluster cluster;
  static final TestNetwork network = new TestNetwork();
  static final Map<String, String> endpoints = new HashMap<>();
  static Path caPem;
  static Path clientCert;
  static Path clientKey;
  static Path otherCaPem;

  @BeforeAll
  static void start() throws Exception {
    TestPki.Identity ca = TestPki.ca("raftctl-test-ca");
    caPem = ca.writeCertificate(dir);
    TestPki.Identity server = ca.issueServer("gateway", TestPki.ec());
    Path serverChain = TestPki.write(dir.resolve("gateway-chain.pem"), server.certificate(), ca.certificate());
    Path serverKey = server.writePkcs8Key(dir);
    TestPki.Identity client = ca.issueClient("raftctl");
    clientCert = client.writeCertificate(dir);
    clientKey = client.writePkcs8Key(dir);
    otherCaPem = TestPki.ca("other-ca").writeCertificate(dir);

    var security = ConfigFactory.parseString("pekko-raft.gateway {\n"
        + "  tls { enabled = on, cert-chain-file = \"" + serverChain + "\", private-key-file = \"" + serverKey
        + "\", client-ca-file = \"" + caPem + "\" }\n"
        + "  auth { enabled = on, tokens = [\"" + TOKEN + "\"] }\n}");
    cluster = LocalCluster.builder().members(3).config(security.withFallback(ConfigFactory.parseResources(
        "gateway-failure-test.conf", ConfigParseOptions.defaults().setAllowMissing(false)))).start();
    for (String member : cluster.memberIds()) {
      var system = cluster.system(member);
      PekkoRaft.get(system).init(ReplicatedStateMachine.of(GROUP, Counter::new).withTransport(network::decorate));
      int port = PekkoRaftGateway.get(system).register(GROUP, GroupCodecs.json(Long.class, String.class)).start()
          .toCompletableFuture().get(30, TimeUnit.SECONDS).localAddress().getPort();
      endpoints.put(member, "127.0.0.1:" + port);
    }
    cluster.awaitLeader(GROUP, 0, STEP);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  @AfterEach
  void heal() {
    network.heal();
  }

  static String leader() {
    return cluster.awaitLeader(GROUP, 0, STEP).memberId();
  }

  static String follower() {
    String leader = leader();
    return cluster.memberIds().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
  }

  /** raftctl with {@code env} as its environment and exactly {@code args}. */
  static Run raftctlWithEnv(Map<String, String> env, List<String> args) {
    Lines out = new Lines();
    Lines err = new Lines();
    CommandLine cmd = RaftCtl.commandLine(env);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  /** raftctl for the group through {@code via}'s gateway (a member id, or a list of endpoints), with {@code args}. */
  static Run raftctl(String via, String... args) {
    List<String> all = new ArrayList<>(List.of("--endpoints", endpoints.getOrDefault(via, via), "--group", GROUP));
    all.addAll(List.of(args));
    return raftctlWithEnv(Map.of(), all);
  }

  /** The options of a client the gateways accept: the CA, the client certificate and key, the token. */
  static String[] trusted(String... args) {
    List<String> all = new ArrayList<>(List.of("--cacert", caPem.toString(), "--cert", clientCert.toString(),
        "--key", clientKey.toString(), "--token", TOKEN));
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  static long value(String via) {
    return Long.parseLong(raftctl(via, trusted("query", "\"value\"")).ok().out().trim());
  }

  @Test
  void withTheCaTheClientCertificateAndATokenFromTheOptionTheFileOrTheEnvironmentEveryCallIsServed()
      throws Exception {
    String via = follower();
    long before = value(via);
    assertEquals(String.valueOf(before + 5), raftctl(via, trusted("submit", "5")).ok().out().trim());
    Run status = raftctl(via, trusted("status")).ok();
    assertTrue(status.out().contains("leader     " + leader() + "\n"), status.out());

    // --tls with --cacert, the token from a file.
    Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    Run fromFile = raftctl(via, "--tls", "--cacert", caPem.toString(), "--cert", clientCert.toString(), "--key",
        clientKey.toString(), "--token-file", tokenFile.toString(), "submit", "2").ok();
    assertEquals(String.valueOf(before + 7), fromFile.out().trim());

    // The token from PEKKO_RAFT_TOKEN.
    Run fromEnv = raftctlWithEnv(Map.of("PEKKO_RAFT_TOKEN", TOKEN), List.of("-e", endpoints.get(via), "-g", GROUP,
        "--cacert", caPem.toString(), "--cert", clientCert.toString(), "--key", clientKey.toString(), "query",
        "\"value\"")).ok();
    assertEquals(String.valueOf(before + 7), fromEnv.out().trim());
  }

  @Test
  void aWrongTokenOrNoneExits6SayingWhyAndTheCommandIsNotApplied() {
    String via = follower();
    String endpoint = endpoints.get(via);
    long before = value(via);
    Run wrong = raftctl(via, "--cacert", caPem.toString(), "--cert", clientCert.toString(), "--key",
        clientKey.toString(), "--token", TOKEN.substring(0, TOKEN.length() - 1) + "X", "submit", "100");
    wrong.failed(Outcome.UNAUTHENTICATED, "raftctl: submit failed: UNAUTHENTICATED from " + endpoint
        + ": the bearer token is not valid for this gateway\n", "raftctl: the command was not applied\n");
    Run none = raftctl(via, "--cacert", caPem.toString(), "--cert", clientCert.toString(), "--key",
        clientKey.toString(), "submit", "100");
    none.failed(Outcome.UNAUTHENTICATED, "raftctl: submit failed: UNAUTHENTICATED from " + endpoint
        + ": this gateway requires a bearer token: send the header 'authorization: Bearer <token>'\n",
        "raftctl: the command was not applied\n");
    raftctl(via, "--cacert", caPem.toString(), "--cert", clientCert.toString(), "--key", clientKey.toString(),
        "status").failed(Outcome.UNAUTHENTICATED, "raftctl: status failed: UNAUTHENTICATED from " + endpoint);
    assertEquals(before, value(via), "neither command was applied");
  }

  @Test
  void aGatewayCertificateFromAnUntrustedCaIsRefusedBeforeAnythingIsSentExit3() {
    // The handshake fails before any request: the endpoint is skipped as one that cannot be connected to, and
    // the message says that the gateway's certificate is not trusted, and what to do.
    String via = follower();
    String endpoint = endpoints.get(via);
    long before = value(via);
    Run untrusted = raftctl(via, "--cacert", otherCaPem.toString(), "--cert", clientCert.toString(), "--key",
        clientKey.toString(), "--token", TOKEN, "submit", "100");
    untrusted.failed(Outcome.UNAVAILABLE, "raftctl: submit failed: cannot connect to any endpoint: " + endpoint
        + " (TLS handshake failed: the gateway's certificate is not trusted (",
        "name the CA that signed it with --cacert", "raftctl: nothing was sent: the command was not applied\n");
    // --tls alone trusts the JVM's CAs, which did not sign the test CA's certificates either.
    raftctl(via, "--tls", "--token", TOKEN, "status").failed(Outcome.UNAVAILABLE, "raftctl: status failed: cannot"
        + " connect to any endpoint: " + endpoint + " (TLS handshake failed: the gateway's certificate is not"
        + " trusted (");
    assertEquals(before, value(via), "not applied");
  }

  @Test
  void mutualTlsWithoutAClientCertificateIsRefusedBeforeAnythingIsSentExit3() {
    String via = follower();
    String endpoint = endpoints.get(via);
    long before = value(via);
    Run noCertificate = raftctl(via, "--cacert", caPem.toString(), "--token", TOKEN, "submit", "100");
    noCertificate.failed(Outcome.UNAVAILABLE, "raftctl: submit failed: cannot connect to any endpoint: " + endpoint
        + " (TLS handshake failed: the gateway refused this client's certificate, or its absence (",
        "it requires mutual TLS: give --cert and --key", "raftctl: nothing was sent: the command was not applied\n");
    assertEquals(before, value(via), "not applied");
  }

  @Test
  void aCommandThatCannotCommitWithinTheTimeoutExits4AndMayHaveBeenApplied() {
    // The leader hears no answer from its followers (check-quorum off: it stays leader) and commits nothing:
    // each submit runs into its 1s deadline. raftctl says the outcome is unknown; the commands were appended, and
    // once the answers flow again they commit, as it warned. The one in a session, sent again with its numbers,
    // is answered with its first result and applied once.
    String leader = leader();
    long before = value(leader);
    String session = raftctl(leader, trusted("open-session")).ok().out().trim();
    for (String member : cluster.memberIds()) {
      if (!member.equals(leader)) network.block(member, Set.of(leader));
    }
    raftctl(leader, trusted("--timeout", "1s", "submit", "10")).failed(Outcome.DEADLINE_EXCEEDED,
        "raftctl: submit failed: DEADLINE_EXCEEDED from " + endpoints.get(leader),
        "raftctl: the command may have been applied (outcome unknown); outside a session a retry may apply it"
            + " twice (use open-session and --session/--sequence)\n");
    raftctl(leader, trusted("--timeout", "1s", "submit", "20", "--session", session, "--sequence", "1"))
        .failed(Outcome.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "raftctl: the command may have been applied (outcome"
            + " unknown); sending it again with the same --session and --sequence applies it at most once\n");
    network.heal();
    Run retried = raftctl(leader, trusted("submit", "20", "--session", session, "--sequence", "1")).ok();
    assertEquals(String.valueOf(before + 30), retried.out().trim(), "both were applied, in log order");
    assertEquals(before + 30, value(leader), "the one in the session once");
  }

  @Test
  void anUnavailableAnswerMovesOnToTheNextEndpointOnlyForACallSafeToRepeat() {
    // A follower cut off from the group knows no leader (it keeps asking for votes in vain): its gateway answers
    // UNAVAILABLE, "not applied". A read, and a command in a session, then go to the next endpoint; a command
    // outside a session is not sent a second time.
    String leader = leader();
    String isolated = follower();
    String first = endpoints.get(isolated);
    String second = endpoints.get(leader);
    TestProbe<RoleChanged> roles = TestProbe.create(cluster.system(isolated));
    cluster.system(isolated).eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, roles.ref()));
    long before = value(leader);
    network.isolate(isolated);
    roles.fishForMessage(STEP, r -> r.groupId().equals(GROUP) && r.memberId().equals(isolated)
        && r.role() != RaftRole.LEADER && r.leaderId() == null
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    String both = first + "," + second;

    Run read = raftctl(both, trusted("--timeout", "2s", "query", "\"value\""));
    assertEquals(Outcome.OK, read.exit(), read.toString());
    assertEquals(String.valueOf(before), read.out().trim());
    assertTrue(read.err().startsWith("raftctl: UNAVAILABLE from " + first + ": no leader could be reached")
        && read.err().endsWith("; trying " + second + "\n"), read.err());

    raftctl(both, trusted("--timeout", "2s", "submit", "1")).failed(Outcome.UNAVAILABLE,
        "raftctl: submit failed: UNAVAILABLE from " + first + ": no leader could be reached",
        "the command was not applied: safe to retry\nraftctl: the command was not applied\n");

    String session = raftctl(leader, trusted("open-session")).ok().out().trim();
    Run inSession = raftctl(both, trusted("--timeout", "2s", "submit", "1", "--session", session, "--sequence",
        "1"));
    assertEquals(Outcome.OK, inSession.exit(), inSession.toString());
    assertEquals(String.valueOf(before + 1), inSession.out().trim(), "the command outside a session was not applied");
    assertTrue(inSession.err().startsWith("raftctl: UNAVAILABLE from " + first + ": no leader could be reached")
        && inSession.err().endsWith("; trying " + second + "\n"), inSession.err());
  }
}
