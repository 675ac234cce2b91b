package io.pekkoraft.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import io.pekkoraft.testkit.LocalCluster;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The configuration of every process of a chaos run: {@code chaos.conf}, plus what only the runner knows at
 * run time (the ports, and which members a node lists). Node {@code node-i} listens on the i-th node port of
 * 127.0.0.1; the runner's client system on a port of its own, in the same Pekko Cluster, without being a Raft
 * member. The bootstrap members list each other in {@code pekko-raft.members}; a spare node (the membership
 * fault) starts with a {@code self-id} outside the members it lists, so it joins as a non-member and waits to
 * be added. The data settings are the testkit's ({@link LocalCluster#dataConfig}).
 */
public final class ChaosCluster {

  public static final String SYSTEM_NAME = "chaos";
  public static final String GROUP_ID = "chaos";

  private ChaosCluster() {}

  public static String memberId(int index) {
    return LocalCluster.memberId(index);
  }

  /** The Artery address of the chaos system on 127.0.0.1:{@code port}. */
  public static String address(int port) {
    return LocalCluster.address(SYSTEM_NAME, port);
  }

  /**
   * A node {@code id} on {@code port}, joining the Pekko Cluster through {@code seedPorts}, with
   * {@code members} (id to port) as its {@code pekko-raft.members}, its journal and snapshots under {@code data}.
   * An id outside {@code members} starts a joining node. {@code settings} (HOCON) are the run's own: sessions
   * on or off, the read lease.
   */
  public static Config node(String id, int port, List<Integer> seedPorts, Map<String, Integer> members, Path data,
      String settings, double clockRate) {
    Config own = ConfigFactory.parseString("pekko-raft.self-id = \"" + id + "\"")
        .withFallback(ConfigFactory.parseString(settings))
        .withFallback(LocalCluster.dataConfig(data))
        .withFallback(cluster(port, seedPorts, members));
    return atClockRate(load(own), clockRate);
  }

  /**
   * The durations a Raft node measures on its own clock, under {@code pekko-raft}: its election timeouts,
   * heartbeats and check-quorum (every election-timeout-min), the leadership transfer's bound (0: the
   * election-timeout-min), its read lease (election-timeout-min less the margin), snapshots by time, and the
   * deadlines of its own requests.
   */
  public static final List<String> TIMED_KEYS = List.of("election-timeout-min", "election-timeout-max",
      "heartbeat-interval", "leadership-transfer-timeout", "read.lease-clock-drift-margin", "snapshot.every-time",
      "client.ask-timeout", "session.attempt-timeout");

  /**
   * {@code config} as a node whose clock runs at {@code rate} times real time lives it: each of the
   * {@link #TIMED_KEYS} it measures as d lasts d / rate of real time, so it is set to d / rate. A node at rate
   * 0.5 waits twice as long for everything Raft times, its lease included; a lease-only clock would leave its
   * check-quorum and heartbeats on time, and a cut-off leader would step down before its lease outlived the
   * others' election timeout. What is not Raft's (Pekko's scheduler, the cluster's failure detector) and the
   * wall clock log time is stamped from keep real time.
   */
  public static Config atClockRate(Config config, double rate) {
    if (!(rate > 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("a clock rate must be positive, not " + rate);
    if (rate == 1) return config;
    Config slowed = config;
    for (String key : TIMED_KEYS) {
      String path = "pekko-raft." + key;
      long nanos = Math.round(config.getDuration(path).toNanos() / rate);
      slowed = slowed.withValue(path, ConfigValueFactory.fromAnyRef(nanos + "ns"));
    }
    return slowed;
  }

  /**
   * The runner's client system on {@code port}: a cluster member that runs no Raft group. Its
   * {@code pekko-raft.members} lists every node that may ever be a member (a client reaches only the members
   * it lists). Its membership coordinator gives up sooner than the defaults, so that the nemesis goes on.
   * {@code settings} (HOCON) are the run's own (sessions on or off).
   */
  public static Config client(int port, List<Integer> seedPorts, Map<String, Integer> everyNode, String settings) {
    Config own = ConfigFactory.parseString(String.join("\n",
        "pekko-raft.membership.coordinator.operation-timeout = 20s",
        "pekko-raft.membership.coordinator.promote-timeout = 30s")).withFallback(ConfigFactory.parseString(settings));
    return load(own.withFallback(cluster(port, seedPorts, everyNode)));
  }

  /** Port, seed nodes (every node is a seed: a restarted node joins whichever is up) and pekko-raft.members. */
  private static Config cluster(int port, List<Integer> seedPorts, Map<String, Integer> members) {
    String seeds = seedPorts.stream().map(p -> "\"" + address(p) + "\"").collect(Collectors.joining(", "));
    StringBuilder listed = new StringBuilder("pekko-raft.members = [\n");
    members.forEach((id, p) -> listed.append("  { id = \"").append(id).append("\", address = \"").append(address(p))
        .append("\" }\n"));
    return ConfigFactory.parseString("pekko.remote.artery.canonical.port = " + port + "\n"
        + "pekko.cluster.seed-nodes = [" + seeds + "]\n" + listed.append("]\n"));
  }

  private static Config load(Config own) {
    ClassLoader loader = ChaosCluster.class.getClassLoader();
    Config shared = ConfigFactory.parseResources(loader, "chaos.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    return ConfigFactory.load(loader, own.withFallback(shared));
  }
}
