package io.pekkoraft.consensus;

import io.pekkoraft.consensus.sim.SimCluster;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;

/** {@link RaftGroup} handles on the members of a {@link SimCluster}, for tests outside this package. */
public final class SimGroups {

  private SimGroups() {}

  public static <C, Q, R> RaftGroup<C, Q, R> groupOn(SimCluster c, String member, Duration askTimeout) {
    return new RaftGroup<>(SimCluster.GROUP, member, c.server(member), c.testKit.system(),
        RaftSerialization.get(c.testKit.system()).codec(), askTimeout, c.stopped(member));
  }
}
