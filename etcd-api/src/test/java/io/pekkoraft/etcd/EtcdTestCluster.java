package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.testkit.LocalCluster;
import io.pekkoraft.testkit.TestNetwork;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Three members in this JVM ({@link LocalCluster}, Artery, durable journal), each running the etcd group and
 * serving the etcd API from its gateway on a free port: what the etcd suites drive with real etcd clients. It holds
 * one jetcd client per member ({@link #client}, made on first use, closed with the cluster) and the helpers the
 * jetcd suites share ({@link #await}, {@link #failure}, {@link #bs}, {@link #str}).
 */
final class EtcdTestCluster implements AutoCloseable {

  static final Duration STEP = Duration.ofSeconds(30);

  final LocalCluster cluster;
  /** The etcd group's Raft traffic of every member: a test cuts a member off with {@link TestNetwork#isolate}. */
  final TestNetwork network = new TestNetwork();
  /** Each member's gateway port, in member order. */
  final Map<String, Integer> ports = new LinkedHashMap<>();
  /** Each member's jetcd client, once asked for. */
  private final Map<String, Client> clients = new ConcurrentHashMap<>();
  private final UnaryOperator<ClientBuilder> clientSettings;

  EtcdTestCluster() throws Exception {
    this(ConfigFactory.empty());
  }

  /** With {@code extra} configuration over etcd-cluster-test.conf (e.g. pekko-raft.etcd.auth). */
  EtcdTestCluster(com.typesafe.config.Config extra) throws Exception {
    this(extra, UnaryOperator.identity());
  }

  /** And with {@code clientSettings} applied to each member's jetcd client (e.g. a user and password). */
  EtcdTestCluster(com.typesafe.config.Config extra, UnaryOperator<ClientBuilder> clientSettings) throws Exception {
    this.clientSettings = clientSettings;
    cluster = LocalCluster.builder().members(3).config(extra.withFallback(ConfigFactory.parseResources(
        "etcd-cluster-test.conf", ConfigParseOptions.defaults().setAllowMissing(false)))).start();
    try {
      for (String member : cluster.memberIds()) {
        var system = cluster.system(member);
        // node-1 binds its gateway before the etcd services are added to it, the others after: both orders serve.
        boolean gatewayFirst = member.equals("node-1");
        if (!gatewayFirst) PekkoRaftEtcd.get(system).start(network::decorate);
        int port = PekkoRaftGateway.get(system).start().toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS)
            .localAddress().getPort();
        if (gatewayFirst) PekkoRaftEtcd.get(system).start(network::decorate);
        ports.put(member, port);
      }
      cluster.awaitLeader(PekkoRaftEtcd.get(cluster.system("node-1")).settings().group(), 0, STEP);
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  String leader() {
    return cluster.awaitLeader("etcd", 0, STEP).memberId();
  }

  String follower() {
    String leader = leader();
    return cluster.memberIds().stream().filter(m -> !m.equals(leader)).findFirst().orElseThrow();
  }

  String endpoint(String member) {
    return "http://127.0.0.1:" + ports.get(member);
  }

  /** The jetcd client that talks to {@code member}'s gateway alone. */
  Client client(String member) {
    if (!ports.containsKey(member)) throw new IllegalArgumentException("no member " + member + " in " + ports.keySet());
    return clients.computeIfAbsent(member, m -> clientSettings.apply(Client.builder().endpoints(endpoint(m))).build());
  }

  /** Closes {@code member}'s client (before its member stops, say); the next {@link #client} makes a new one. */
  void closeClient(String member) {
    Client client = clients.remove(member);
    if (client != null) client.close();
  }

  static ByteSequence bs(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  static String str(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  /** The future's value, waited for at most {@link #STEP}. */
  static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(STEP.toSeconds(), TimeUnit.SECONDS);
  }

  /** The message of the failure the future ends with (etcd's code and message through jetcd). */
  static String failure(CompletableFuture<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(STEP.toSeconds(), TimeUnit.SECONDS));
    return String.valueOf(e.getCause().getMessage());
  }

  @Override
  public void close() {
    clients.keySet().forEach(this::closeClient);
    cluster.close();
  }
}
