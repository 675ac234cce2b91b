package io.pekkoraft.testkit.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.DeleteSnapshotSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SaveSnapshotFailure;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.testkit.javadsl.TestKit;
import scala.jdk.javaapi.OptionConverters;

/**
 * A connection to the snapshot store of one actor system, speaking Pekko's snapshot protocol as a
 * persistent actor does: through the store actor that {@code Persistence.snapshotStoreFor} gives.
 */
public final class SnapshotClient {

  public static final Duration TIMEOUT = Duration.ofSeconds(10);
  private final ActorRef store;
  private final TestKit probe;
  private long lastTimestamp;

  public SnapshotClient(ActorSystem system, String pluginId) {
    this.store = Persistence.get(system).snapshotStoreFor(pluginId, ConfigFactory.empty());
    this.probe = new TestKit(system);
  }

  public ActorRef store() {
    return store;
  }

  /** Sends a request to the store and returns its one reply. */
  public Object ask(Object request) {
    store.tell(request, probe.getRef());
    return probe.expectMsgClass(TIMEOUT, Object.class);
  }

  /**
   * Saves and expects success; returns the metadata the store acknowledged (the store sets the
   * timestamp). Each save gets a later timestamp than the one before, so that timestamp criteria can
   * tell them apart: the clock is polled until it moves on.
   */
  public SnapshotMetadata save(String pid, long seq, Object snapshot) {
    while (System.currentTimeMillis() <= lastTimestamp) Thread.onSpinWait();
    Object reply = ask(new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(pid, seq, 0L), snapshot));
    if (!(reply instanceof SaveSnapshotSuccess ok)) throw new AssertionError("save of " + pid + "@" + seq + " failed: " + reply);
    assertEquals(pid, ok.metadata().persistenceId());
    assertEquals(seq, ok.metadata().sequenceNr());
    lastTimestamp = ok.metadata().timestamp();
    return ok.metadata();
  }

  /** The cause of a save that must fail. */
  public Throwable saveFailure(String pid, long seq, Object snapshot) {
    Object reply = ask(new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(pid, seq, 0L), snapshot));
    if (!(reply instanceof SaveSnapshotFailure f)) throw new AssertionError("save of " + pid + "@" + seq + " must fail, got " + reply);
    return f.cause();
  }

  /** The reply to a LoadSnapshot: a LoadSnapshotResult or a LoadSnapshotFailed. */
  public Object loadReply(String pid, SnapshotSelectionCriteria criteria, long toSequenceNr) {
    return ask(new SnapshotProtocol.LoadSnapshot(pid, criteria, toSequenceNr));
  }

  public Optional<SelectedSnapshot> load(String pid, SnapshotSelectionCriteria criteria, long toSequenceNr) {
    Object reply = loadReply(pid, criteria, toSequenceNr);
    if (!(reply instanceof SnapshotProtocol.LoadSnapshotResult r)) {
      throw new AssertionError("load of " + pid + " failed: " + reply, reply instanceof SnapshotProtocol.LoadSnapshotFailed f ? f.cause() : null);
    }
    assertEquals(toSequenceNr, r.toSequenceNr());
    return OptionConverters.toJava(r.snapshot());
  }

  public Optional<SelectedSnapshot> load(String pid, SnapshotSelectionCriteria criteria) {
    return load(pid, criteria, Long.MAX_VALUE);
  }

  public Optional<SelectedSnapshot> loadLatest(String pid) {
    return load(pid, SnapshotSelectionCriteria.latest());
  }

  /** The cause of a load that must fail. */
  public Throwable loadFailure(String pid) {
    Object reply = loadReply(pid, SnapshotSelectionCriteria.latest(), Long.MAX_VALUE);
    if (!(reply instanceof SnapshotProtocol.LoadSnapshotFailed f)) throw new AssertionError("load of " + pid + " must fail, got " + reply);
    return f.cause();
  }

  public void delete(SnapshotMetadata metadata) {
    Object reply = ask(new SnapshotProtocol.DeleteSnapshot(metadata));
    if (!(reply instanceof DeleteSnapshotSuccess ok)) throw new AssertionError("delete of " + metadata + " failed: " + reply);
    assertEquals(metadata, ok.metadata());
  }

  public void delete(String pid, SnapshotSelectionCriteria criteria) {
    Object reply = ask(new SnapshotProtocol.DeleteSnapshots(pid, criteria));
    if (!(reply instanceof DeleteSnapshotsSuccess ok)) throw new AssertionError("delete of " + pid + " " + criteria + " failed: " + reply);
    assertEquals(criteria, ok.criteria());
  }

  /** Saves snapshots 1..count of {@code pid}, snapshot {@code s} being the string "pid-s". */
  public List<SnapshotMetadata> saveSeries(String pid, int count) {
    List<SnapshotMetadata> saved = new ArrayList<>();
    for (long s = 1; s <= count; s++) saved.add(save(pid, s, pid + "-" + s));
    return saved;
  }

  /** Checks that {@code loaded} is the snapshot saved with {@code expected} and holds {@code data}. */
  public static void assertSnapshot(SnapshotMetadata expected, Object data, Optional<SelectedSnapshot> loaded) {
    assertTrue(loaded.isPresent(), "expected snapshot " + expected + ", got none");
    SnapshotMetadata m = loaded.get().metadata();
    assertEquals(expected.persistenceId(), m.persistenceId());
    assertEquals(expected.sequenceNr(), m.sequenceNr());
    assertEquals(expected.timestamp(), m.timestamp());
    assertEquals(data, loaded.get().snapshot());
  }
}
