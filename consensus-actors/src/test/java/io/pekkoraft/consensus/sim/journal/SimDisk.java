package io.pekkoraft.consensus.sim.journal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.PersistentRepr;

/**
 * The disk behind {@link SimJournal}: one per ActorSystem, so it outlives the persistent actors that a
 * test stops and restarts. A write is acknowledged only when flushed; a crash loses exactly the writes
 * not yet flushed. Tests drive it; the journal actor calls it too, hence every method is synchronized.
 *
 * <p>Persistence ids are addressed by prefix in whole {@code |}-separated segments: the prefix
 * {@code pekko-raft|g|n1} matches {@code pekko-raft|g|n1} and {@code pekko-raft|g|n1|x}, never
 * {@code pekko-raft|g|n10}.
 */
public final class SimDisk {
  // Keyed by instance, not name: test kits often reuse a system name, and they must not share a disk.
  private static final Map<ActorSystem, SimDisk> DISKS = new ConcurrentHashMap<>();

  private final Map<String, DiskFile> files = new LinkedHashMap<>();
  private boolean autoFlush = true;
  private final Map<String, CompletableFuture<Void>> recoveryHolds = new LinkedHashMap<>();

  private SimDisk() {}

  /** The disk of this ActorSystem, shared by every SimJournal plugin in it; forgotten when it terminates. */
  public static SimDisk of(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return of(system.classicSystem());
  }

  /** The disk of this classic ActorSystem; see {@link #of(org.apache.pekko.actor.typed.ActorSystem)}. */
  public static SimDisk of(ActorSystem system) {
    return DISKS.computeIfAbsent(system, s -> {
      s.registerOnTermination(() -> DISKS.remove(s));
      return new SimDisk();
    });
  }

  /**
   * On (the default), every write is flushed as soon as it is staged, like a fast disk. Off, writes wait
   * for {@link #flushAll()} or {@link #flush(String)}, and a {@link #crash(String)} can lose them.
   */
  public synchronized void setAutoFlush(boolean autoFlush) {
    this.autoFlush = autoFlush;
  }

  /** Makes every pending batch durable and acknowledges it; returns how many batches that was. */
  public int flushAll() {
    return flush(pid -> true);
  }

  /** Makes the pending batches of the matching persistence ids durable; returns how many batches. */
  public int flush(String persistenceIdPrefix) {
    return flush(pid -> matches(pid, persistenceIdPrefix));
  }

  /**
   * Power loss for the matching persistence ids: their pending batches are forgotten and their writes
   * never acknowledged, nor failed, since a crashed node learns nothing more. Stop the node's actor and
   * start it again to recover from what is durable. Returns how many batches were lost.
   */
  public synchronized int crash(String persistenceIdPrefix) {
    int dropped = 0;
    for (DiskFile file : matching(persistenceIdPrefix)) dropped += file.dropPending();
    return dropped;
  }

  /**
   * The disk of the matching persistence ids is replaced by an empty one: everything written, durable or
   * not, is gone (pending writes are never acknowledged). Returns how many journals were removed.
   */
  public synchronized int wipe(String persistenceIdPrefix) {
    List<String> gone = files.keySet().stream().filter(pid -> matches(pid, persistenceIdPrefix)).toList();
    for (String pid : gone) files.remove(pid).dropPending();
    return gone.size();
  }

  /** How many batches of the matching persistence ids are written but not yet flushed. */
  public synchronized int pendingBatches(String persistenceIdPrefix) {
    return matching(persistenceIdPrefix).stream().mapToInt(DiskFile::pendingBatches).sum();
  }

  /** The payloads of this persistence id that survive a crash, in sequence number order. */
  public synchronized List<Object> durableEvents(String persistenceId) {
    return file(persistenceId).durable(0L, Long.MAX_VALUE, Long.MAX_VALUE).stream()
        .map(PersistentRepr::payload)
        .toList();
  }

  /** Stages one atomic batch; the future completes when it is flushed, and never if it is lost. */
  CompletableFuture<Void> write(String persistenceId, List<PersistentRepr> events) {
    PendingBatch batch = new PendingBatch(List.copyOf(events), new CompletableFuture<>());
    List<PendingBatch> flushed;
    synchronized (this) {
      DiskFile file = file(persistenceId);
      file.stage(batch);
      flushed = autoFlush ? file.flush() : List.of();
    }
    acknowledge(flushed);
    return batch.flushed();
  }

  /**
   * The durable highest sequence number, read when a persistent actor starts. Pending writes of the same
   * id mean its old incarnation was stopped without a crash or a flush; their fate must be decided first,
   * or a late flush would put them after the new incarnation's writes.
   */
  synchronized long highestSequenceNrForRecovery(String persistenceId) {
    DiskFile file = file(persistenceId);
    if (file.pendingBatches() > 0) {
      throw new IllegalStateException(persistenceId + " starts while " + file.pendingBatches()
          + " of its batches are pending: call SimDisk.crash or SimDisk.flush before restarting it");
    }
    return file.highestDurableSequenceNr();
  }

  /** The recovery of {@code persistenceId} (its next start) waits until {@link #releaseRecovery}. */
  public synchronized void holdRecovery(String persistenceId) {
    recoveryHolds.put(persistenceId, new CompletableFuture<>());
  }

  /** Lets the recovery held by {@link #holdRecovery} go on. */
  public void releaseRecovery(String persistenceId) {
    CompletableFuture<Void> hold;
    synchronized (this) {
      hold = recoveryHolds.remove(persistenceId);
    }
    if (hold != null) hold.complete(null);
  }

  /** Completes when the recovery of {@code persistenceId} may read the journal. */
  synchronized CompletableFuture<Void> recoveryGate(String persistenceId) {
    return recoveryHolds.getOrDefault(persistenceId, CompletableFuture.completedFuture(null));
  }

  synchronized List<PersistentRepr> durable(String persistenceId, long fromSequenceNr, long toSequenceNr, long max) {
    return file(persistenceId).durable(fromSequenceNr, toSequenceNr, max);
  }

  synchronized void deleteDurableTo(String persistenceId, long toSequenceNr) {
    file(persistenceId).deleteDurableTo(toSequenceNr);
  }

  private int flush(Predicate<String> selected) {
    List<PendingBatch> flushed = new ArrayList<>();
    synchronized (this) {
      files.forEach((pid, file) -> {
        if (selected.test(pid)) flushed.addAll(file.flush());
      });
    }
    acknowledge(flushed);
    return flushed.size();
  }

  // Outside the lock: completing a future may run the journal's callbacks on this thread.
  private static void acknowledge(List<PendingBatch> flushed) {
    for (PendingBatch batch : flushed) batch.flushed().complete(null);
  }

  private DiskFile file(String persistenceId) {
    return files.computeIfAbsent(persistenceId, DiskFile::new);
  }

  private List<DiskFile> matching(String persistenceIdPrefix) {
    return files.entrySet().stream()
        .filter(e -> matches(e.getKey(), persistenceIdPrefix))
        .map(Map.Entry::getValue)
        .toList();
  }

  static boolean matches(String persistenceId, String prefix) {
    String segmentPrefix = prefix.endsWith("|") ? prefix : prefix + "|";
    return persistenceId.equals(prefix) || persistenceId.startsWith(segmentPrefix);
  }
}
