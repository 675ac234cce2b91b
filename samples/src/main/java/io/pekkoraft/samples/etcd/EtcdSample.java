package io.pekkoraft.samples.etcd;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.etcd.PekkoRaftEtcd;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.testkit.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Three members in one JVM serving etcd's v3 API: each its own ActorSystem on 127.0.0.1, its Raft log under
 * {@code <data>/<member id>}, the etcd group ({@link PekkoRaftEtcd}) and the gRPC gateway on the ports a local
 * three-member etcd uses (client 2379, 22379, 32379; the members' Pekko ports 2380, 22380, 32380, which
 * {@code etcdctl member list} shows as peer URLs). It prints the endpoints once every gateway is bound and a leader
 * is elected, and runs until the JVM is stopped (Ctrl-C):
 *
 * <pre>
 * bin/etcd-sample                                   # ./etcd-data, or: bin/etcd-sample /some/dir
 * etcdctl --endpoints 127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 put foo bar
 * </pre>
 *
 * Started again on the same data directory, the members recover their logs and the store.
 */
public final class EtcdSample implements AutoCloseable {

  public static final String SYSTEM_NAME = "etcd";
  /** node-i's client (gateway) port, as a local three-member etcd cluster has them. */
  public static final List<Integer> CLIENT_PORTS = List.of(2379, 22379, 32379);
  /** node-i's Pekko (Artery) port: its peer URL. */
  public static final List<Integer> PEER_PORTS = List.of(2380, 22380, 32380);

  private static final Duration STARTUP = Duration.ofSeconds(60);

  private final List<ActorSystem<Void>> systems = new ArrayList<>();
  private final Map<String, Integer> clientPorts = new LinkedHashMap<>();

  private EtcdSample() {}

  /**
   * Starts the members with these ports (node-i on the i-th of each list; a client port 0 picks a free one) and
   * waits until each gateway is bound and the etcd group has a leader.
   */
  public static EtcdSample start(List<Integer> clientPorts, List<Integer> peerPorts, Path data) throws Exception {
    EtcdSample sample = new EtcdSample();
    try {
      Map<String, Integer> members = new LinkedHashMap<>();
      for (int i = 0; i < peerPorts.size(); i++) members.put(LocalCluster.memberId(i), peerPorts.get(i));
      Config shared = ConfigFactory.parseResources(EtcdSample.class.getClassLoader(), "etcd-sample.conf",
          ConfigParseOptions.defaults().setAllowMissing(false));
      // Each member's etcd endpoint, for etcdctl member list and endpoint status --cluster (known when fixed).
      StringBuilder clientUrls = new StringBuilder("pekko-raft.etcd.client-urls {\n");
      int n = 0;
      for (String member : members.keySet()) {
        int port = clientPorts.get(n++);
        if (port != 0) clientUrls.append(member).append(" = [\"http://127.0.0.1:").append(port).append("\"]\n");
      }
      shared = ConfigFactory.parseString(clientUrls.append("}\n").toString()).withFallback(shared);
      int i = 0;
      for (Map.Entry<String, Integer> member : members.entrySet()) {
        Config own = ConfigFactory.parseString("pekko-raft.gateway.port = " + clientPorts.get(i++))
            .withFallback(LocalCluster.dataConfig(data.toAbsolutePath().resolve(member.getKey())))
            .withFallback(LocalCluster.membershipConfig(SYSTEM_NAME, member.getValue(), members,
                List.copyOf(members.values())))
            .withFallback(shared);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, ConfigFactory.load(own));
        sample.systems.add(system);
        PekkoRaftEtcd.get(system).start();
        int port = PekkoRaftGateway.get(system).start().toCompletableFuture()
            .get(STARTUP.toSeconds(), TimeUnit.SECONDS).localAddress().getPort();
        sample.clientPorts.put(member.getKey(), port);
      }
      sample.awaitLeader();
      return sample;
    } catch (Exception | Error e) {
      sample.close();
      throw e;
    }
  }

  /** Each member's client (etcd) port, by member id. */
  public Map<String, Integer> clientPorts() {
    return clientPorts;
  }

  /** {@code 127.0.0.1:<port>,...}: etcdctl's --endpoints. */
  public String endpoints() {
    return clientPorts.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
  }

  /** Until some member knows a leader of the etcd group: then every member's gateway serves writes. */
  private void awaitLeader() throws Exception {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (true) {
      for (ActorSystem<Void> system : systems) {
        var status = PekkoRaftEtcd.get(system).group().clientProxy().localStatus(Duration.ofSeconds(5))
            .toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
        if (status.leaderId() != null) return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no leader of the etcd group within " + STARTUP);
      }
      Thread.sleep(100);
    }
  }

  @Override
  public void close() {
    for (ActorSystem<Void> system : systems) system.terminate();
    for (ActorSystem<Void> system : systems) {
      try {
        system.getWhenTerminated().toCompletableFuture().get(STARTUP.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("member " + system.address() + " did not stop in time: " + e);
      }
    }
  }

  /** Argument: the data directory (default {@code -Detcd.data}, else ./etcd-data). */
  public static void main(String[] args) throws Exception {
    Path data = Path.of(args.length > 0 ? args[0] : System.getProperty("etcd.data", "etcd-data"));
    EtcdSample sample = start(CLIENT_PORTS, PEER_PORTS, data);
    Runtime.getRuntime().addShutdownHook(new Thread(sample::close, "etcd-sample-stop"));
    System.out.println("Three members serve the etcd API (data in " + data.toAbsolutePath() + "); Ctrl-C stops them.");
    System.out.println("  etcdctl --endpoints " + sample.endpoints() + " put foo bar");
    System.out.println("  etcdctl --endpoints " + sample.endpoints() + " get foo");
    Thread.currentThread().join();
  }
}
