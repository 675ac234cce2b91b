package io.pekkoraft.consensus.sim.journal;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import io.pekkoraft.persistence.snapshot.FileSnapshotStore;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;

/**
 * The simulation's snapshot store: snapshots kept in memory per ActorSystem, so they outlive the
 * persistent actors a test crashes and restarts, like files on a disk. A save is durable once answered
 * (as with a store that fsyncs before answering). Every snapshot is serialized and the copy is stored, so
 * a load sees what a real store would, and an unserializable snapshot fails its save.
 */
public final class SimSnapshotStore extends SnapshotStore {

  private record Stored(SnapshotMetadata metadata, byte[] bytes, int serializerId, String manifest) {}

  private static final Map<ActorSystem, Map<String, List<Stored>>> STORES = new ConcurrentHashMap<>();
  private static final Map<ActorSystem, java.util.concurrent.atomic.AtomicInteger> SAVES = new ConcurrentHashMap<>();

  private final Map<String, List<Stored>> store;
  private final Serialization serialization;

  public SimSnapshotStore(Config config) {
    ActorSystem system = context().system();
    this.store = STORES.computeIfAbsent(system, s -> {
      s.registerOnTermination(() -> {
        STORES.remove(s);
        SAVES.remove(s);
      });
      return new ConcurrentHashMap<>();
    });
    this.serialization = SerializationExtension.get(system);
  }

  /** How many snapshots of persistence ids starting with {@code prefix} the system's store holds. */
  public static int count(org.apache.pekko.actor.typed.ActorSystem<?> system, String prefix) {
    Map<String, List<Stored>> s = STORES.getOrDefault(system.classicSystem(), Map.of());
    int n = 0;
    for (Map.Entry<String, List<Stored>> e : s.entrySet()) if (e.getKey().startsWith(prefix)) n += e.getValue().size();
    return n;
  }

  /** Forget every saved state of {@code persistenceId}, as a replaced disk would. */
  public static void wipe(org.apache.pekko.actor.typed.ActorSystem<?> system, String persistenceId) {
    Map<String, List<Stored>> s = STORES.get(system.classicSystem());
    if (s == null) return;
    synchronized (s) {
      s.remove(persistenceId);
    }
  }

  /** How many snapshots the system's store saved so far, for every persistence id. */
  public static int saves(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    java.util.concurrent.atomic.AtomicInteger n = SAVES.get(system.classicSystem());
    return n == null ? 0 : n.get();
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    for (Stored s : matching(persistenceId, criteria)) {
      Object snapshot = serialization.deserialize(s.bytes(), s.serializerId(), s.manifest()).get();
      return Futures.successful(Optional.of(SelectedSnapshot.create(s.metadata(), snapshot)));
    }
    return Futures.successful(Optional.empty());
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    try {
      org.apache.pekko.serialization.Serializer serializer = serialization.findSerializerFor(snapshot);
      Stored s = new Stored(metadata, serializer.toBinary(snapshot), serializer.identifier(),
          Serializers.manifestFor(serializer, snapshot));
      synchronized (store) {
        store.computeIfAbsent(metadata.persistenceId(), k -> new ArrayList<>()).add(s);
      }
      SAVES.computeIfAbsent(context().system(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
      return Futures.successful(null);
    } catch (RuntimeException e) {
      return Futures.failed(e);
    }
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    synchronized (store) {
      List<Stored> list = store.getOrDefault(metadata.persistenceId(), new ArrayList<>());
      list.removeIf(s -> s.metadata().sequenceNr() == metadata.sequenceNr());
    }
    return Futures.successful(null);
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    List<Stored> doomed = matching(persistenceId, criteria);
    synchronized (store) {
      store.getOrDefault(persistenceId, new ArrayList<>()).removeAll(doomed);
    }
    return Futures.successful(null);
  }

  private List<Stored> matching(String persistenceId, SnapshotSelectionCriteria c) {
    List<Stored> out = new ArrayList<>();
    synchronized (store) {
      for (Stored s : store.getOrDefault(persistenceId, List.of())) {
        if (FileSnapshotStore.selects(c, s.metadata())) out.add(s);
      }
    }
    out.sort(Comparator.comparingLong((Stored s) -> s.metadata().sequenceNr()).reversed());
    return out;
  }
}
