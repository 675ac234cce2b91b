package io.pekkoraft.consensus.behavior;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/**
 * What replicated behaviors put in the log, keep in snapshots and send between members' {@link EntityHost}s.
 * Registered with Kryo by {@link BehaviorKryoRegistrar} (ids 300-319).
 */
@InternalApi
public final class EntityMessages {

  private EntityMessages() {}

  // ---- the log ----

  /**
   * One log entry: the events the leader's command handler decided for one command. They apply only if the
   * entry was appended in {@code term} (the term the leader decided in) and the entity's sequence number is
   * still {@code expectedSeqNr} (the one the handler saw). {@code callerId}/{@code callerSeq} name the
   * command, so that a retry of a command that already applied gets its outcome instead of applying again;
   * results up to {@code callerAcked} are forgotten.
   */
  public record Proposal(String entityId, long term, long expectedSeqNr, List<Object> events,
      String callerId, long callerSeq, long callerAcked) implements RaftSerializable {}

  /** The outcome of applying a {@link Proposal}. */
  public sealed interface ProposalResult extends RaftSerializable {}

  /** Applied: the entity's sequence number after the events. */
  public record Accepted(long seqNr) implements ProposalResult {}

  /** The command (callerId, callerSeq) had applied before: not applied again; the state right after it. */
  public record Duplicate(long seqNr, Object stateAfter) implements ProposalResult {}

  /** Not applied: decided in another term than the entry's, so by a deposed leader. */
  public record StaleTerm(long entryTerm) implements ProposalResult {}

  /** Not applied: the entity changed after the handler decided (its sequence number is now {@code seqNr}). */
  public record Conflict(long seqNr) implements ProposalResult {}

  /** A read of an entity's sequence number (the read barrier of {@code none()} effects and of conflicts). */
  public record SeqNrQuery(String entityId) implements RaftSerializable {}

  // ---- snapshots ----

  /**
   * Every entity's sequence number and state, and the callers' remembered outcomes. {@link StoreSnapshotSerializer}
   * writes one record per entity (id, sequence number, the state's bytes and their length), in entity id order,
   * so that one entity can be read alone from the snapshot file, at its record's offset.
   *
   * <p>As {@link EntityStore#snapshot} takes it: {@code states} holds the states in memory; an entry is null for
   * an entity whose state is only on disk, whose record the serializer copies from {@code source} (the
   * previous snapshot file) at {@code offsets}; the serializer puts each record's offset in the new file into
   * {@code written}. As read from a file: every state null (none is built), {@code offsets} the records'
   * offsets in that file.
   */
  public static final class StoreSnapshot implements RaftSerializable {
    final List<String> entityIds;
    final long[] seqNrs;
    final List<Object> states;
    final long[] offsets;
    final List<CallerSnapshot> callers;
    final io.pekkoraft.consensus.StoredSnapshot source;
    final long[] written;

    StoreSnapshot(List<String> entityIds, long[] seqNrs, List<Object> states, long[] offsets,
        List<CallerSnapshot> callers, io.pekkoraft.consensus.StoredSnapshot source) {
      this.entityIds = entityIds;
      this.seqNrs = seqNrs;
      this.states = states;
      this.offsets = offsets;
      this.callers = callers;
      this.source = source;
      this.written = new long[entityIds.size()];
      java.util.Arrays.fill(written, -1);
    }
  }

  public record CallerSnapshot(String callerId, long acked, long lastLogTimeMillis, long[] seqs, long[] seqNrs,
      List<Object> statesAfter) implements RaftSerializable {}

  // ---- between hosts ----

  /** A command for the leader's host; {@code ackTo} hears how it ended ({@link Outcome}). */
  public record Deliver(String entityId, Object command, String callerId, long callerSeq, long callerAcked,
      ActorRef<Outcome> ackTo) implements EntityHost.HostCommand, RaftSerializable {}

  /** How a {@link Deliver} ended, for the caller's host. */
  public record Outcome(String callerId, long callerSeq, OutcomeKind kind, String leaderId)
      implements EntityHost.HostCommand, RaftSerializable {}

  public enum OutcomeKind {
    /** Handled: events committed (or none), side effects run, reply sent. */
    DONE,
    /** Not handled here and not forwarded (no leader known, or this host is not the leader): send it again. */
    NOT_LEADER,
    /** The leader could not learn whether its events committed, or they were refused: send it again (same seq). */
    RETRY,
    /** The command cannot be handled: its outcome is final and it will not be sent again. */
    FAILED
  }
}
