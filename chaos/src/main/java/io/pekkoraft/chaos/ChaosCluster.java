package io.pekkoraft.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.testkit.LocalCluster;
import java.nio.file.Path;
import java.util.List;

/**
 * The configuration of every process of a chaos run: {@code chaos.conf}, plus what only the runner knows at
 * run time (the ports). Member {@code node-i} listens on the i-th node port of 127.0.0.1; the runner's client
 * system on a port of its own, in the same Pekko Cluster, without being a Raft member. The members' settings
 * are the testkit's ({@link LocalCluster#membershipConfig}, {@link LocalCluster#dataConfig}), as the nodes run in
 * processes of their own.
 */
public final class ChaosCluster {

  public static final String SYSTEM_NAME = "chaos";
  public static final String GROUP_ID = "chaos";

  private ChaosCluster() {}

  public static String memberId(int index) {
    return LocalCluster.memberId(index);
  }

  /** The index of {@code node-i} among {@code memberCount} members, or an error naming the valid ids. */
  public static int memberIndex(String id, int memberCount) {
    for (int i = 0; i < memberCount; i++) {
      if (memberId(i).equals(id)) return i;
    }
    throw new IllegalArgumentException("the member id must be one of node-1 .. node-" + memberCount + ", not " + id);
  }

  /** A node: its port among {@code nodePorts}, its member id, its journal and snapshots under {@code data}. */
  public static Config node(int index, List<Integer> nodePorts, Path data) {
    Config own = ConfigFactory.parseString("pekko-raft.self-id = \"" + memberId(index) + "\"")
        .withFallback(LocalCluster.dataConfig(data))
        .withFallback(membership(nodePorts.get(index), nodePorts));
    return load(own);
  }

  /** The runner's client system on {@code port}: a cluster member that runs no Raft group. */
  public static Config client(int port, List<Integer> nodePorts) {
    return load(membership(port, nodePorts));
  }

  /** Every node is a seed: a restarted node joins whichever of the others is up. */
  private static Config membership(int port, List<Integer> nodePorts) {
    return LocalCluster.membershipConfig(SYSTEM_NAME, port, nodePorts, nodePorts);
  }

  private static Config load(Config own) {
    ClassLoader loader = ChaosCluster.class.getClassLoader();
    Config shared = ConfigFactory.parseResources(loader, "chaos.conf", ConfigParseOptions.defaults().setAllowMissing(false));
    return ConfigFactory.load(loader, own.withFallback(shared));
  }
}
