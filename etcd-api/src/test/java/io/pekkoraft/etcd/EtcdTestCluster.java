package io.pekkoraft.etcd;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.testkit.LocalCluster;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Three members in this JVM ({@link LocalCluster}, Artery, durable journal), each running the etcd group and
 * serving the etcd API from its gateway on a free port: what the etcd suites drive with real etcd clients.
 */
final class EtcdTestCluster implements AutoCloseable {

  static final Duration STEP = Duration.ofSeconds(30);

  final LocalCluster cluster;
  /** Each member's gateway port, in member order. */
  final Map<String, Integer> ports = new LinkedHashMap<>();

  EtcdTestCluster() throws Exception {
    this(ConfigFactory.empty());
  }

  /** With {@code overrides} on top of etcd-cluster-test.conf. */
  EtcdTestCluster(com.typesafe.config.Config overrides) throws Exception {
    cluster = LocalCluster.builder().members(3).config(overrides.withFallback(ConfigFactory.parseResources(
        "etcd-cluster-test.conf", ConfigParseOptions.defaults().setAllowMissing(false)))).start();
    try {
      for (String member : cluster.memberIds()) {
        var system = cluster.system(member);
        // node-1 binds its gateway before the etcd services are added to it, the others after: both orders serve.
        boolean gatewayFirst = member.equals("node-1");
        if (!gatewayFirst) PekkoRaftEtcd.get(system).start();
        int port = PekkoRaftGateway.get(system).start().toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS)
            .localAddress().getPort();
        if (gatewayFirst) PekkoRaftEtcd.get(system).start();
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

  @Override
  public void close() {
    cluster.close();
  }
}
