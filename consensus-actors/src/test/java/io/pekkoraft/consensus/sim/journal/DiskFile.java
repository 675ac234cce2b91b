package io.pekkoraft.consensus.sim.journal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.pekko.persistence.PersistentRepr;

/**
 * The simulated disk's file of one persistence id: its durable events and the batches written but not
 * yet flushed. Not thread-safe on its own; {@link SimDisk} guards every call.
 */
final class DiskFile {
  private final String persistenceId;
  private final List<PersistentRepr> durable = new ArrayList<>();
  private final Deque<PendingBatch> pending = new ArrayDeque<>();
  // Kept apart from the events: Pekko requires the highest sequence number to survive deletes.
  private long highestDurableSequenceNr;

  DiskFile(String persistenceId) {
    this.persistenceId = persistenceId;
  }

  /** Stages a batch; a sequence number at or below one already written means two writers share the id. */
  void stage(PendingBatch batch) {
    long highestWritten = pending.isEmpty() ? highestDurableSequenceNr : pending.getLast().highestSequenceNr();
    if (!batch.events().isEmpty() && batch.events().get(0).sequenceNr() <= highestWritten) {
      throw new IllegalStateException("Write of " + persistenceId + " at sequence number "
          + batch.events().get(0).sequenceNr() + " overlaps " + highestWritten + " already written: "
          + "two incarnations of one persistent actor are writing");
    }
    pending.addLast(batch);
  }

  /** Makes every pending batch durable, oldest first, and returns them so the caller can acknowledge them. */
  List<PendingBatch> flush() {
    List<PendingBatch> flushed = new ArrayList<>(pending);
    for (PendingBatch batch : flushed) {
      durable.addAll(batch.events());
      highestDurableSequenceNr = Math.max(highestDurableSequenceNr, batch.highestSequenceNr());
    }
    pending.clear();
    return flushed;
  }

  /** Forgets the pending batches, as power loss would; returns how many there were. */
  int dropPending() {
    int dropped = pending.size();
    pending.clear();
    return dropped;
  }

  int pendingBatches() {
    return pending.size();
  }

  long highestDurableSequenceNr() {
    return highestDurableSequenceNr;
  }

  List<PersistentRepr> durable(long fromSequenceNr, long toSequenceNr, long max) {
    return durable.stream()
        .filter(e -> e.sequenceNr() >= fromSequenceNr && e.sequenceNr() <= toSequenceNr)
        .limit(max)
        .toList();
  }

  void deleteDurableTo(long toSequenceNr) {
    durable.removeIf(e -> e.sequenceNr() <= toSequenceNr);
  }
}
