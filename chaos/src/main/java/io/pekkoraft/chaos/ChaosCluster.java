package io.pekkoraft.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The configuration of every process of a chaos run: {@code chaos.conf}, plus what only the runner knows at
 * run time (the ports). Member {@code node-i} listens on the i-th node port of 127.0.0.1; the runner's client
 * system on a port of its own, in the same Pekko Cluster, without being a Raft member.
 */
public final class ChaosCluster {

  public static final String SYSTEM_NAME = "chaos";
  public static final String GROUP_ID = "chaos";

  private ChaosCluster() {}

  public static String memberId(int index) {
    return "node-" + (index + 1);
  }

  /** The index of {@code node-i} among {@code memberCount} members, or an error naming the valid ids. */
  public static int memberIndex(String id, int memberCount) {
    for (int i = 0; i < memberCount; i++) {
      if (memberId(i).equals(id)) return i;
    }
    throw new IllegalArgumentException("the member id must be one of node-1 .. node-" + memberCount + ", not " + id);
  }

  static String address(int port) {
    return "pekko://" + SYSTEM_NAME + "@127.0.0.1:" + port;
  }

  /** A node: its port among {@code nodePorts}, its member id, its journal and snapshots under {@code data}. */
  public static Config node(int index, List<Integer> nodePorts, Path data) {
    return load(membership(nodePorts.get(index), nodePorts)
            + "pekko-raft.self-id = \"" + memberId(index) + "\"\n",
        data);
  }

  /** The runner's client system on {@code port}: a cluster member that runs no Raft group. */
  public static Config client(int port, List<Integer> nodePorts) {
    return load(membership(port, nodePorts), null);
  }

  private static String membership(int port, List<Integer> nodePorts) {
    String seeds = nodePorts.stream().map(p -> "\"" + address(p) + "\"").collect(Collectors.joining(", "));
    StringBuilder members = new StringBuilder("pekko-raft.members = [\n");
    for (int i = 0; i < nodePorts.size(); i++) {
      members.append("  { id = \"").append(memberId(i)).append("\", address = \"").append(address(nodePorts.get(i)))
          .append("\" }\n");
    }
    return "pekko.remote.artery.canonical.port = " + port + "\n"
        // Every node is a seed: a restarted node joins whichever of the others is up.
        + "pekko.cluster.seed-nodes = [" + seeds + "]\n"
        + members.append("]\n");
  }

  private static Config load(String settings, Path data) {
    ClassLoader loader = ChaosCluster.class.getClassLoader();
    Config shared = ConfigFactory.parseResources(loader, "chaos.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    Config own = ConfigFactory.parseString(settings);
    if (data != null) {
      own = own
          .withValue("pekko-raft.journal.dir", ConfigValueFactory.fromAnyRef(data.resolve("journal").toString()))
          .withValue("pekko-raft.snapshot-store.dir", ConfigValueFactory.fromAnyRef(data.resolve("snapshots").toString()));
    }
    return ConfigFactory.load(loader, own.withFallback(shared));
  }
}
