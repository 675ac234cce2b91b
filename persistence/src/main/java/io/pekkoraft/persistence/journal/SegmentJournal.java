package io.pekkoraft.persistence.journal;

import com.typesafe.config.Config;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The Pekko Persistence journal plugin over a {@link JournalStore}: durable append-only segment files
 * with a CRC32C per record and group-commit fsync. Enable it with
 * {@code pekko.persistence.journal.plugin = "pekko-raft.journal"}; its settings are under
 * {@code pekko-raft.journal} in reference.conf.
 *
 * <p>Events are serialized with Pekko's serialization (serializer id, manifest, bytes), so any event
 * with a serializer works. An AtomicWrite is one record: after a crash all of its events are there, or
 * none. A write is acknowledged only after its fsync. Tags ({@link Tagged}) are not stored: this
 * journal has no persistence query.
 *
 * <p>The journal opens in the constructor: a directory that is missing, not writable or corrupt stops
 * the actor at its start with an error that names the configuration key, the file and the offset.
 */
public class SegmentJournal extends AsyncWriteJournal {

  private final JournalStore store;
  private final Serialization serialization;
  private final ExtendedActorSystem system;
  private final Executor replayExecutor;

  /** Called by Pekko Persistence with the plugin's configuration and its path. */
  public SegmentJournal(Config config, String configPath) throws IOException {
    this(config, configPath, ChannelOpener.DEFAULT);
  }

  /** For tests that make the disk fail: {@code opener} opens the segment files. */
  protected SegmentJournal(Config config, String configPath, ChannelOpener opener) throws IOException {
    this.system = (ExtendedActorSystem) context().system();
    this.serialization = SerializationExtension.get(system);
    this.replayExecutor = system.dispatchers().lookup(config.getString("replay-dispatcher"));
    this.store = JournalStore.open(JournalSettings.fromConfig(config, configPath), opener);
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<CompletableFuture<Optional<Exception>>> results = new ArrayList<>();
    for (AtomicWrite write : messages) {
      List<StoredEvent> events;
      try {
        events = toStored(write);
      } catch (Exception e) {
        // Not serializable: rejected (the persistent actor is told, and may go on), nothing written.
        results.add(CompletableFuture.completedFuture(Optional.of(e)));
        continue;
      }
      results.add(store.append(events));
    }
    CompletableFuture<Iterable<Optional<Exception>>> all = CompletableFuture
        .allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(done -> {
          List<Optional<Exception>> outcomes = new ArrayList<>(results.size());
          for (CompletableFuture<Optional<Exception>> r : results) outcomes.add(r.join());
          return outcomes;
        });
    return scala(all);
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return scala(store.deleteTo(persistenceId, toSequenceNr));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
      Consumer<PersistentRepr> replayCallback) {
    CompletableFuture<Void> replay = CompletableFuture.runAsync(() -> {
      try {
        store.replay(persistenceId, fromSequenceNr, toSequenceNr, max, e -> replayCallback.accept(toRepr(e)));
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    }, replayExecutor);
    return scala(replay);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return Future.successful(store.highestSequenceNr(persistenceId));
  }

  @Override
  public void postStop() throws Exception {
    store.close();
    super.postStop();
  }

  private List<StoredEvent> toStored(AtomicWrite write) throws Exception {
    List<StoredEvent> events = new ArrayList<>(write.size());
    for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
      Object payload = repr.payload() instanceof Tagged tagged ? tagged.payload() : repr.payload();
      Serializer serializer = serialization.findSerializerFor(payload);
      byte[] bytes = toBinary(serializer, payload);
      long timestamp = repr.timestamp() == 0 ? System.currentTimeMillis() : repr.timestamp();
      if (repr.metadata().isDefined()) {
        Object metadata = repr.metadata().get();
        Serializer metaSerializer = serialization.findSerializerFor(metadata);
        events.add(new StoredEvent(repr.persistenceId(), repr.sequenceNr(), timestamp, repr.writerUuid(),
            repr.manifest(), serializer.identifier(), Serializers.manifestFor(serializer, payload), bytes,
            metaSerializer.identifier(), Serializers.manifestFor(metaSerializer, metadata), toBinary(metaSerializer, metadata)));
      } else {
        events.add(StoredEvent.of(repr.persistenceId(), repr.sequenceNr(), timestamp, repr.writerUuid(),
            repr.manifest(), serializer.identifier(), Serializers.manifestFor(serializer, payload), bytes));
      }
    }
    return events;
  }

  /** Serializes with the actor system's transport information, so that ActorRefs in events work. */
  private byte[] toBinary(Serializer serializer, Object value) {
    return org.apache.pekko.serialization.Serialization$.MODULE$.withTransportInformation(system,
        () -> serializer.toBinary(value));
  }

  private PersistentRepr toRepr(StoredEvent e) {
    Object payload = serialization.deserialize(e.payload(), e.serializerId(), e.serializerManifest()).get();
    PersistentRepr repr = PersistentRepr.apply(payload, e.sequenceNr(), e.persistenceId(), e.adapterManifest(),
        false, ActorRef.noSender(), e.writerUuid()).withTimestamp(e.timestamp());
    if (e.hasMetadata()) {
      repr = repr.withMetadata(
          serialization.deserialize(e.metadataBytes(), e.metadataSerializerId(), e.metadataManifest()).get());
    }
    return repr;
  }

  /** A Scala future of the stage, failing with the cause itself rather than a CompletionException. */
  private static <T> Future<T> scala(CompletionStage<T> stage) {
    CompletableFuture<T> unwrapped = new CompletableFuture<>();
    stage.whenComplete((value, failure) -> {
      if (failure == null) {
        unwrapped.complete(value);
      } else {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) cause = cause.getCause();
        unwrapped.completeExceptionally(cause);
      }
    });
    return FutureConverters.asScala(unwrapped);
  }
}
