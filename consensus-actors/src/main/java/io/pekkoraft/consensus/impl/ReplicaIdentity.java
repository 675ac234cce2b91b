package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.protocol.RaftMessage;
import io.pekkoraft.consensus.rules.Configuration;
import io.pekkoraft.consensus.rules.ReplicaIds;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;

/**
 * The replica ids a server learned from its peers' messages, and the refusal of a peer that answers under a
 * member's name from another disk than the configuration records ({@link ReplicaIds}). Kept across roles:
 * what a candidate learned from the votes, the leader it becomes records.
 *
 * <p>Every RPC carrying a replica id goes through {@link #accepts} before anything else ({@code Role}), so
 * a refused sender changes nothing here: not our term, not a vote count, not a matchIndex. The refusal is
 * logged once per member and replica id, not on every message.
 */
final class ReplicaIdentity {

  private final String selfId;
  private final String groupId;
  private final long self;
  private final Logger log;
  /** The latest replica id each member's messages carried (0 and our own never stored). */
  private final Map<String, Long> learned = new TreeMap<>();
  /** member/replica id pairs already logged as refused. */
  private final Set<String> reported = new HashSet<>();

  ReplicaIdentity(String selfId, String groupId, long self, Logger log) {
    this.selfId = selfId;
    this.groupId = groupId;
    this.self = self;
    this.log = log;
  }

  /** The replica id a message carries, 0 for those without one (the leader's requests: a follower need not check). */
  static long of(RaftMessage m) {
    if (m instanceof RaftMessage.RequestVote rv) return rv.replicaId();
    if (m instanceof RaftMessage.RequestVoteResponse r) return r.replicaId();
    if (m instanceof RaftMessage.AppendEntriesResponse r) return r.replicaId();
    if (m instanceof RaftMessage.HeartbeatResponse r) return r.replicaId();
    if (m instanceof RaftMessage.InstallSnapshotResponse r) return r.replicaId();
    return 0;
  }

  /**
   * A message from {@code member} carried {@code replicaId}: learn it if {@code config} names the member, and
   * say whether the message may count. False when {@code config} records another replica id for that member:
   * it lost its disk. A non-member's id is not learned: a removed server that still campaigns would otherwise
   * leave its old disk's id behind, to be recorded when it is added back on a new disk, which is then refused.
   */
  boolean accepts(String member, long replicaId, Configuration config) {
    if (replicaId == 0 || member.equals(selfId)) return true;
    if (config.members().contains(member)) learned.put(member, replicaId);
    long recorded = config.replicaId(member);
    if (!ReplicaIds.mismatch(recorded, replicaId)) return true;
    if (reported.add(member + "/" + replicaId)) {
      log.warn("{} of group {}: {} restarted with an empty disk (replica id {}, the configuration records {}): remove"
          + " it and add it again; until then its votes, acknowledgements and vote requests are refused", selfId,
          groupId, member, replicaId, recorded);
    }
    return false;
  }

  /** Is {@code member} known to answer from another disk than {@code config} records? The leader does not replicate to it. */
  boolean refused(String member, Configuration config) {
    return ReplicaIds.mismatch(config, member, learned.getOrDefault(member, 0L));
  }

  /**
   * The configuration changed: forget what we learned of members it no longer names, so that a member
   * removed and added back has its replica id learned, and recorded, anew.
   */
  void retainMembers(Configuration config) {
    learned.keySet().retainAll(config.members());
  }

  /** The replica ids learned from peers (ours not among them). */
  Map<String, Long> learned() {
    return Collections.unmodifiableMap(learned);
  }

  /** Every replica id known, ours included. */
  Map<String, Long> known() {
    Map<String, Long> all = new TreeMap<>(learned);
    all.put(selfId, self);
    return Collections.unmodifiableMap(all);
  }
}
