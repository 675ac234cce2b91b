package io.pekkoraft.consensus.sim.journal;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * A journal plugin for deterministic tests, on a {@link SimDisk} with an fsync: a write is acknowledged
 * only once the disk flushes it, and recovery reads only what was flushed. It lets a test crash a node
 * between "written" and "durable", the window in which a node that answers early breaks Raft.
 *
 * <p>Configured by {@code sim-journal.conf} in the test resources.
 */
public final class SimJournal extends AsyncWriteJournal {
  private final SimDisk disk;
  // Empty unless "serialize = on": then events are stored as their deserialized copies.
  private final Optional<Serialization> serialization;
  /** With "serialize = on": the largest write accepted, in serialized bytes (0: any), like a journal's segment. */
  private final long maxWriteBytes;

  public SimJournal(Config config) {
    this.disk = SimDisk.of(context().system());
    boolean serialize = config.hasPath("serialize") && config.getBoolean("serialize");
    this.serialization = serialize ? Optional.of(SerializationExtension.get(context().system())) : Optional.empty();
    this.maxWriteBytes = config.hasPath("max-write-bytes") ? config.getBytes("max-write-bytes") : 0;
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<CompletableFuture<Optional<Exception>>> results = new ArrayList<>();
    try {
      for (AtomicWrite write : messages) results.add(write(write));
    } catch (IllegalStateException overlappingWriters) {
      return Futures.failed(overlappingWriters);
    }
    // One answer per AtomicWrite, in order, once all of them are flushed.
    CompletableFuture<Iterable<Optional<Exception>>> all =
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
            .thenApply(flushed -> results.stream().map(CompletableFuture::join).toList());
    return FutureConverters.asScala(all);
  }

  private CompletableFuture<Optional<Exception>> write(AtomicWrite write) {
    List<PersistentRepr> events = new ArrayList<>();
    long[] bytes = {0};
    for (PersistentRepr event : CollectionConverters.asJava(write.payload())) {
      try {
        events.add(serialization.isPresent() ? roundTrip(event, serialization.get(), bytes) : event);
      } catch (Exception notSerializable) {
        // A rejection, as real journals report it: the batch is not written, the actor keeps running.
        return CompletableFuture.completedFuture(Optional.of(notSerializable));
      }
    }
    if (maxWriteBytes > 0 && bytes[0] > maxWriteBytes) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("a write of " + bytes[0]
          + " bytes is larger than the journal takes (" + maxWriteBytes + ")"));
    }
    return disk.write(write.persistenceId(), events).thenApply(flushed -> Optional.empty());
  }

  private static PersistentRepr roundTrip(PersistentRepr event, Serialization serialization, long[] total) {
    Object payload = event.payload();
    Serializer serializer = serialization.findSerializerFor(payload);
    byte[] bytes = serializer.toBinary(payload);
    total[0] += bytes.length;
    String manifest = Serializers.manifestFor(serializer, payload);
    return event.withPayload(serialization.deserialize(bytes, serializer.identifier(), manifest).get());
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    disk.deleteDurableTo(persistenceId, toSequenceNr);
    return Futures.successful(null);
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId, long fromSequenceNr, long toSequenceNr, long max, Consumer<PersistentRepr> replay) {
    disk.durable(persistenceId, fromSequenceNr, toSequenceNr, max).forEach(replay);
    return Futures.successful(null);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    CompletableFuture<Void> gate = disk.recoveryGate(persistenceId);
    if (!gate.isDone()) {
      return FutureConverters.asScala(gate.thenApply(released -> disk.highestSequenceNrForRecovery(persistenceId)));
    }
    try {
      return Futures.successful(disk.highestSequenceNrForRecovery(persistenceId));
    } catch (IllegalStateException pendingFromAnOldIncarnation) {
      return Futures.failed(pendingFromAnOldIncarnation);
    }
  }
}
