package io.pekkoraft.consensus.rules;

import java.util.Map;
import java.util.TreeMap;

/**
 * Identity survives nothing but the disk. Each server's disk has a replica id, random and never 0, created
 * with its first journal write; the leader records the ids it learns in the configuration
 * ({@link Configuration#replicaIds()}). A server that answers under a member's name with another replica
 * id than the one recorded lost its disk: the votes it gave and the entries it acknowledged are gone, so
 * counting it again could elect two leaders in one term or lose a committed entry. Its peers refuse it
 * until a configuration without it, then one adding it back (with no recorded id), is in effect.
 *
 * <p>0 means "not known": a configuration that records none, or a message from a sender that does not say
 * (a test's puppet), is never a mismatch.
 */
public final class ReplicaIds {

  private ReplicaIds() {}

  /** Does a message carrying {@code sent} come from another disk than the one {@code recorded} names? */
  public static boolean mismatch(long recorded, long sent) {
    return recorded != 0 && sent != 0 && sent != recorded;
  }

  /** Does {@code member}, answering with {@code sent}, answer under a name whose recorded disk is not its own? */
  public static boolean mismatch(Configuration configuration, String member, long sent) {
    return mismatch(configuration.replicaId(member), sent);
  }

  /**
   * {@code configuration} with the {@code known} replica ids of its members added where it records none; a
   * recorded id is never replaced (only removing the member and adding it back clears it). The same
   * instance when nothing is added.
   */
  public static Configuration withKnown(Configuration configuration, Map<String, Long> known) {
    Map<String, Long> ids = new TreeMap<>(configuration.replicaIds());
    boolean added = false;
    for (String member : configuration.members()) {
      long id = known.getOrDefault(member, 0L);
      if (id != 0 && !ids.containsKey(member)) {
        ids.put(member, id);
        added = true;
      }
    }
    return added ? configuration.withDetails(configuration.addresses(), ids) : configuration;
  }

  /** Is the replica id of some voter (of either half) known but not recorded in {@code configuration}? */
  public static boolean voterUnrecorded(Configuration configuration, Map<String, Long> known) {
    for (String member : configuration.members()) {
      if (configuration.isVoter(member) && configuration.replicaId(member) == 0 && known.getOrDefault(member, 0L) != 0) {
        return true;
      }
    }
    return false;
  }
}
