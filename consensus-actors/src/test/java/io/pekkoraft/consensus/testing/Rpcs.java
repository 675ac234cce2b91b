package io.pekkoraft.consensus.testing;

import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntries;
import io.pekkoraft.consensus.protocol.RaftMessage.AppendEntriesResponse;
import io.pekkoraft.consensus.protocol.RaftMessage.Heartbeat;
import io.pekkoraft.consensus.protocol.RaftMessage.RequestVote;
import io.pekkoraft.persistence.LogEntry;
import java.util.List;

/**
 * Raft RPCs for tests, built by name instead of by position: a test that plays a peer says
 * {@code Rpcs.appendEntries().term(3).from("node-2").prev(1, 1).entries(e2).build()}, and what it leaves out
 * is zero, false or empty (sequence numbers and heartbeat rounds: 1; replica ids: 0, "not known", which no
 * receiver refuses). A field added to a message then
 * changes this class, not every test that sends one.
 *
 * <p>In consensus-actors' test sources rather than in pekko-raft-testkit: the scenario tests that use it
 * run in this module, and this module's tests cannot depend on testkit, which depends on this module.
 */
public final class Rpcs {

  private Rpcs() {}

  public static RequestVoteBuilder requestVote() {
    return new RequestVoteBuilder();
  }

  public static AppendEntriesBuilder appendEntries() {
    return new AppendEntriesBuilder();
  }

  public static AppendEntriesResponseBuilder appendEntriesResponse() {
    return new AppendEntriesResponseBuilder();
  }

  public static HeartbeatBuilder heartbeat() {
    return new HeartbeatBuilder();
  }

  /** A (pre-)vote request; a real vote, not for a leadership transfer, unless set. */
  public static final class RequestVoteBuilder {
    private long term;
    private String from;
    private long lastLogIndex;
    private long lastLogTerm;
    private boolean preVote;
    private boolean transfer;
    private long replicaId;

    public RequestVoteBuilder term(long term) {
      this.term = term;
      return this;
    }

    public RequestVoteBuilder from(String candidate) {
      this.from = candidate;
      return this;
    }

    /** The candidate's last log entry. */
    public RequestVoteBuilder lastLog(long index, long term) {
      this.lastLogIndex = index;
      this.lastLogTerm = term;
      return this;
    }

    public RequestVoteBuilder preVote() {
      this.preVote = true;
      return this;
    }

    /** Sent on a TimeoutNow: a follower votes even while it hears from a leader. */
    public RequestVoteBuilder transfer() {
      this.transfer = true;
      return this;
    }

    /** The replica id of the candidate's disk. */
    public RequestVoteBuilder replicaId(long replicaId) {
      this.replicaId = replicaId;
      return this;
    }

    public RequestVote build() {
      return new RequestVote(term, from, lastLogIndex, lastLogTerm, preVote, transfer, replicaId);
    }
  }

  /** Entries (none unless set) after {@code prev}, from a leader. */
  public static final class AppendEntriesBuilder {
    private long term;
    private String from;
    private long prevLogIndex;
    private long prevLogTerm;
    private List<LogEntry> entries = List.of();
    private long leaderCommit;
    private long seq = 1;

    public AppendEntriesBuilder term(long term) {
      this.term = term;
      return this;
    }

    public AppendEntriesBuilder from(String leader) {
      this.from = leader;
      return this;
    }

    /** The entry just before the ones sent. */
    public AppendEntriesBuilder prev(long index, long term) {
      this.prevLogIndex = index;
      this.prevLogTerm = term;
      return this;
    }

    public AppendEntriesBuilder entries(LogEntry... entries) {
      this.entries = List.of(entries);
      return this;
    }

    public AppendEntriesBuilder entries(List<LogEntry> entries) {
      this.entries = List.copyOf(entries);
      return this;
    }

    public AppendEntriesBuilder leaderCommit(long index) {
      this.leaderCommit = index;
      return this;
    }

    public AppendEntriesBuilder seq(long seq) {
      this.seq = seq;
      return this;
    }

    public AppendEntries build() {
      return new AppendEntries(term, from, prevLogIndex, prevLogTerm, entries, leaderCommit, seq);
    }
  }

  /** A follower's answer: {@link #accepted} or {@link #rejected}, to the AppendEntries numbered {@link #seq}. */
  public static final class AppendEntriesResponseBuilder {
    private long term;
    private String from;
    private boolean success;
    private long matchIndex;
    private long conflictTerm;
    private long conflictIndex;
    private long seq = 1;
    private long replicaId;

    public AppendEntriesResponseBuilder term(long term) {
      this.term = term;
      return this;
    }

    public AppendEntriesResponseBuilder from(String follower) {
      this.from = follower;
      return this;
    }

    /** The follower stored everything up to {@code matchIndex}. */
    public AppendEntriesResponseBuilder accepted(long matchIndex) {
      this.success = true;
      this.matchIndex = matchIndex;
      return this;
    }

    /** The follower's log does not match at prev: the leader should retry from what the conflict names. */
    public AppendEntriesResponseBuilder rejected(long conflictTerm, long conflictIndex) {
      this.success = false;
      this.conflictTerm = conflictTerm;
      this.conflictIndex = conflictIndex;
      return this;
    }

    public AppendEntriesResponseBuilder seq(long seq) {
      this.seq = seq;
      return this;
    }

    /** The replica id of the follower's disk. */
    public AppendEntriesResponseBuilder replicaId(long replicaId) {
      this.replicaId = replicaId;
      return this;
    }

    public AppendEntriesResponse build() {
      return new AppendEntriesResponse(term, from, success, matchIndex, conflictTerm, conflictIndex, seq, replicaId);
    }
  }

  /** A leader's heartbeat: its commit index (capped at what the follower holds) and the read round it confirms. */
  public static final class HeartbeatBuilder {
    private long term;
    private String from;
    private long commitIndex;
    private long round = 1;

    public HeartbeatBuilder term(long term) {
      this.term = term;
      return this;
    }

    public HeartbeatBuilder from(String leader) {
      this.from = leader;
      return this;
    }

    public HeartbeatBuilder commitIndex(long index) {
      this.commitIndex = index;
      return this;
    }

    public HeartbeatBuilder round(long round) {
      this.round = round;
      return this;
    }

    public Heartbeat build() {
      return new Heartbeat(term, from, commitIndex, round);
    }
  }
}
