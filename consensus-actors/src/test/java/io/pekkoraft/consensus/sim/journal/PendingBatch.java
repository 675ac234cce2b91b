package io.pekkoraft.consensus.sim.journal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.persistence.PersistentRepr;

/**
 * One AtomicWrite that reached the simulated disk but is not yet flushed. It becomes durable as a
 * whole or not at all, which is what makes a persistAll atomic across a crash.
 *
 * @param events the batch's events, in sequence number order
 * @param flushed completed when the batch is durable; never completed if a crash drops it, because a
 *     crashed node learns nothing more about its writes
 */
record PendingBatch(List<PersistentRepr> events, CompletableFuture<Void> flushed) {

  long highestSequenceNr() {
    return events.isEmpty() ? 0L : events.get(events.size() - 1).sequenceNr();
  }
}
