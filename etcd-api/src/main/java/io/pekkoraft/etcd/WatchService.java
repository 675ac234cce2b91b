package io.pekkoraft.etcd;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.pekkoraft.consensus.AppliedCommand;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.etcd.api.Event;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.api.Watch;
import io.pekkoraft.etcd.api.WatchCreateRequest;
import io.pekkoraft.etcd.api.WatchProgressRequest;
import io.pekkoraft.etcd.api.WatchRequest;
import io.pekkoraft.etcd.api.WatchResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.MergeHub;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * etcd's {@code etcdserverpb.Watch} on the etcd group: one bidirectional stream carries any number of watches,
 * each of a key, a range ({@code range_end}), a prefix or everything from a key ({@code range_end} "\0").
 *
 * <p>How a watch runs, on the member the client is connected to: a local (STALE) read of the store's event log
 * from {@code start_revision} ({@link EtcdQuery.Watch}: at most {@code catch-up-revisions} revisions at once, sent
 * as one response, as etcd sends an unsynced watcher's catch-up) until it has caught up with the log index the
 * read was answered at; then the commands this member applies from that index + 1 on
 * ({@link RaftGroup#watchApplied}), one response per revision that has events for the watch. A watch remembers
 * the next revision it may deliver and drops every event below it: events come exactly once, in revision
 * order, also where the read of history meets the applied stream, and when the applied stream is too old here
 * ({@link RaftException.WatchFromTooOld}) and the watch reads history again from the revision after the last one
 * it took. Every member applies the same log into the same store, so a client that watches again on another
 * member from the last revision it saw + 1 carries on with the same events.
 *
 * <p>As etcd 3.4: the created response comes first (created, {@code watch_id}: the client's, read from field 7
 * of the request, which this proto predates, or the next free one from 0); a start revision below the
 * compaction revision gets the created response, then one with {@code compact_revision} and canceled; a start
 * revision in the future waits for it; {@code prev_kv} and the filters NOPUT and NODELETE; a cancel is answered
 * canceled (an unknown id: nothing); {@code progress_notify} sends an empty response with the watch's revision
 * every {@code progress-notify-interval} in which it sent no events (once it has caught up); a
 * {@code ProgressRequest} is answered once, with {@code watch_id} -1, and the lowest revision every watch of the
 * stream has reached (etcd 3.4 answers its store's revision even while a watch still catches up). Created
 * responses keep the order of the create requests (Go's clientv3 relies on it), and a watch's events follow its
 * created response. {@code fragment} is not supported: a response is never split (clients that ask for it
 * join fragments, so whole responses are what they get anyway). When this member cannot go on (its server
 * stopped) the stream fails UNAVAILABLE, and clients watch again elsewhere.
 */
final class WatchService implements Watch {

  private static final Comparator<ByteString> KEY_ORDER = ByteString.unsignedLexicographicalComparator();
  /** etcd's {@code mvcc.ErrCompacted}, as the cancel reason of a watch cancelled at a compacted revision. */
  static final String COMPACTED_REASON = "mvcc: required revision has been compacted";
  static final String EMPTY_RANGE_REASON = "mvcc: watcher range is empty";
  static final String DUPLICATE_ID_REASON = "mvcc: duplicate watch ID provided on the WatchStream";
  /** The field of {@code WatchCreateRequest} that carries the client's watch id (etcd 3.4's proto). */
  static final int WATCH_ID_FIELD = 7;

  private final RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group;
  private final WatchSettings settings;
  private final long clusterId;
  private final long memberId;

  WatchService(RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group, WatchSettings settings, ActorSystem<?> system) {
    this.group = group;
    this.settings = settings;
    this.clusterId = EtcdIds.clusterId(group.groupId());
    this.memberId = EtcdIds.memberId(group.memberId());
  }

  @Override
  public Source<WatchResponse, NotUsed> watch(Source<WatchRequest, NotUsed> in) {
    return Source.fromMaterializer((mat, attributes) -> new WatchStream(mat).run(in))
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /**
   * A unary {@code Progress} that jetcd's proto declares but etcd does not serve: answered as etcd answers it,
   * UNIMPLEMENTED (a progress request travels inside the Watch stream).
   */
  @Override
  public CompletionStage<WatchResponse> progress(WatchProgressRequest in) {
    return CompletableFuture.failedFuture(new GrpcServiceException(Status.UNIMPLEMENTED.withDescription(
        "unknown method Progress for service etcdserverpb.Watch")));
  }

  // ---- what flows inside a watch, and out of it ----

  /** What a watch takes in: its history and applied commands, and the stream's requests for it. */
  private sealed interface Item {}

  /**
   * Events read from history or applied here: {@code revision} the store's revision for the header,
   * {@code through} the revision the watch has seen everything up to, {@code live} whether the watch has caught
   * up (what follows comes from the applied stream), {@code compactRevision} the store's compaction revision
   * when known (0 otherwise).
   */
  private record Batch(long revision, long term, List<Event> events, long through, boolean live,
      long compactRevision) implements Item {}

  private record Compacted(long compactRevision, long revision, long term) implements Item {}

  private record ProgressMarker(long token) implements Item {}

  private enum Signal implements Item { CANCEL, TICK }

  /** What the watches and the request handling hand to the stream's one output. */
  private sealed interface Out {}

  /** A response; {@code opens}: a watch that starts once it is out; {@code ends}: the watch it ends. */
  private record Response(WatchResponse response, Watcher opens, Watcher ends) implements Out {}

  private record ProgressAnswer(long token, long watchId, long revision, long term) implements Out {}

  /** A progress request waiting for the watches of the stream to answer it. */
  private static final class Pending {
    final Set<Long> waiting;
    long revision = Long.MAX_VALUE;
    long term;

    Pending(Set<Long> waiting) {
      this.waiting = waiting;
    }
  }

  private ResponseHeader header(long revision, long term) {
    return ResponseHeader.newBuilder().setClusterId(clusterId).setMemberId(memberId).setRevision(revision)
        .setRaftTerm(term).build();
  }

  private CompletionStage<EtcdResult.Done> read(long fromRevision) {
    return group.read(new EtcdQuery.Watch(fromRevision, settings.catchUpRevisions()), ReadConsistency.STALE)
        .thenApply(r -> {
          if (r instanceof EtcdResult.Done done) return done;
          throw new IllegalStateException("the etcd state machine refused a read of its event log: " + r);
        });
  }

  private static List<Event> events(byte[] bytes) {
    if (bytes.length == 0) return List.of();
    try {
      return WatchResponse.parseFrom(bytes).getEventsList();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the etcd state machine answered events that do not parse: " + e, e);
    }
  }

  private static long compactRevision(EtcdResult.Done done) {
    try {
      return WatchResponse.parseFrom(done.response()).getCompactRevision();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("the etcd state machine answered a watch read that does not parse: " + e, e);
    }
  }

  /** The client's watch id (field 7 of etcd 3.4's WatchCreateRequest), 0 for "choose one". */
  static long requestedWatchId(WatchCreateRequest create) {
    List<Long> ids = create.getUnknownFields().getField(WATCH_ID_FIELD).getVarintList();
    return ids.isEmpty() ? 0 : ids.get(ids.size() - 1);
  }

  // ---- one gRPC stream ----

  private final class WatchStream {
    private final Materializer mat;
    /** Ends the output (failed: the client sees the status) and every watch of the stream. */
    private final SharedKillSwitch stop = KillSwitches.shared("etcd-watch-stream");
    private Sink<Out, NotUsed> hub;
    // guarded by this
    private final Map<Long, Watcher> watchers = new HashMap<>();
    private final Map<Long, Pending> pending = new HashMap<>();
    private long nextWatchId;
    private long nextToken;

    WatchStream(Materializer mat) {
      this.mat = mat;
    }

    Source<WatchResponse, NotUsed> run(Source<WatchRequest, NotUsed> in) {
      Pair<Sink<Out, NotUsed>, Source<Out, NotUsed>> merge = MergeHub.of(Out.class, 16).preMaterialize(mat);
      hub = merge.first();
      // The requests, one at a time: created and other control responses leave in the order of the requests.
      UniqueKillSwitch input = in.viaMat(KillSwitches.single(), Keep.right())
          .mapAsync(1, this::handle)
          .mapConcat(list -> list)
          .watchTermination((m, done) -> {
            done.whenComplete((d, failure) -> {
              if (failure != null) stop.abort(KvService.failed(failure));
            });
            return m;
          })
          .to(hub).run(mat);
      return merge.second().via(stop.flow()).mapConcat(this::deliver)
          .watchTermination((m, done) -> {
            done.whenComplete((d, failure) -> {
              input.shutdown();
              stop.shutdown();
            });
            return NotUsed.getInstance();
          });
    }

    private CompletionStage<List<Out>> handle(WatchRequest request) {
      switch (request.getRequestUnionCase()) {
        case CREATE_REQUEST:
          return create(request.getCreateRequest());
        case CANCEL_REQUEST:
          cancel(request.getCancelRequest().getWatchId());
          return CompletableFuture.completedFuture(List.of());
        case PROGRESS_REQUEST:
          return progress();
        default:
          return CompletableFuture.completedFuture(List.of()); // etcd ignores an empty request
      }
    }

    private CompletionStage<List<Out>> create(WatchCreateRequest create) {
      ByteString key = create.getKey().isEmpty() ? ByteString.copyFrom(new byte[] {0}) : create.getKey();
      ByteString end = create.getRangeEnd();
      boolean fromKey = end.size() == 1 && end.byteAt(0) == 0;
      String refusal = null;
      long id = -1;
      if (!end.isEmpty() && !fromKey && KEY_ORDER.compare(key, end) >= 0) {
        refusal = EMPTY_RANGE_REASON;
      } else {
        long requested = requestedWatchId(create);
        synchronized (this) {
          if (requested != 0) {
            if (watchers.containsKey(requested)) refusal = DUPLICATE_ID_REASON;
            else id = requested;
          } else {
            while (watchers.containsKey(nextWatchId)) nextWatchId++;
            id = nextWatchId++;
          }
        }
      }
      long start = create.getStartRevision();
      String refused = refusal;
      long watchId = id;
      return read(start <= 0 ? Long.MAX_VALUE : start).thenApply(done -> {
        WatchResponse.Builder created = WatchResponse.newBuilder().setHeader(header(done.revision(), done.raftTerm()))
            .setWatchId(watchId).setCreated(true);
        if (refused != null) {
          return List.of(new Response(created.setCanceled(true).setCancelReason(refused).build(), null, null));
        }
        Watcher watcher = new Watcher(this, watchId, create, key, end, fromKey,
            start <= 0 ? done.revision() + 1 : start, done);
        synchronized (this) {
          watchers.put(watchId, watcher);
        }
        return List.of(new Response(created.build(), watcher, null));
      });
    }

    private void cancel(long watchId) {
      Watcher watcher;
      synchronized (this) {
        watcher = watchers.remove(watchId);
      }
      if (watcher != null) watcher.offer(Signal.CANCEL);
    }

    private CompletionStage<List<Out>> progress() {
      synchronized (this) {
        if (!watchers.isEmpty()) {
          long token = nextToken++;
          pending.put(token, new Pending(new HashSet<>(watchers.keySet())));
          for (Watcher watcher : watchers.values()) watcher.offer(new ProgressMarker(token));
          return CompletableFuture.completedFuture(List.of());
        }
      }
      return read(Long.MAX_VALUE).thenApply(done -> List.of(new Response(
          progressResponse(done.revision(), done.raftTerm()), null, null)));
    }

    private WatchResponse progressResponse(long revision, long term) {
      return WatchResponse.newBuilder().setHeader(header(revision, term)).setWatchId(-1).build();
    }

    synchronized void ended(Watcher watcher) {
      watchers.remove(watcher.id, watcher);
    }

    /** The stream's one output: what leaves, in order; opens a watch once its created response is out. */
    private List<WatchResponse> deliver(Out out) {
      List<WatchResponse> responses = new ArrayList<>(2);
      if (out instanceof Response r) {
        responses.add(r.response());
        if (r.opens() != null) r.opens().open();
        if (r.ends() != null) {
          synchronized (this) {
            for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
              Pending p = it.next().getValue();
              if (p.waiting.remove(r.ends().id) && p.waiting.isEmpty()) {
                if (p.revision != Long.MAX_VALUE) responses.add(progressResponse(p.revision, p.term));
                it.remove();
              }
            }
          }
        }
      } else if (out instanceof ProgressAnswer a) {
        synchronized (this) {
          Pending p = pending.get(a.token());
          if (p != null && p.waiting.remove(a.watchId())) {
            if (a.revision() < p.revision) {
              p.revision = a.revision();
              p.term = a.term();
            }
            if (p.waiting.isEmpty()) {
              pending.remove(a.token());
              responses.add(progressResponse(p.revision, p.term));
            }
          }
        }
      }
      return responses;
    }
  }

  // ---- one watch ----

  private final class Watcher {
    final WatchStream stream;
    final long id;
    final ByteString key;
    final ByteString end;
    final boolean fromKey;
    final boolean prevKv;
    final boolean noPut;
    final boolean noDelete;
    final boolean progressNotify;
    final BoundedSourceQueue<Item> requests;
    final CompletableFuture<NotUsed> opened = new CompletableFuture<>();
    /** The highest revision the watch's sources have passed on: where to read history again from. */
    final AtomicLong taken = new AtomicLong();
    // the watch's stage alone touches these
    long next;
    long storeRevision;
    long term;
    long compactRevision;
    boolean live;
    boolean sentSinceTick;

    Watcher(WatchStream stream, long id, WatchCreateRequest create, ByteString key, ByteString end, boolean fromKey,
        long next, EtcdResult.Done first) {
      this.stream = stream;
      this.id = id;
      this.key = key;
      this.end = end;
      this.fromKey = fromKey;
      this.prevKv = create.getPrevKv();
      this.noPut = create.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT);
      this.noDelete = create.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE);
      this.progressNotify = create.getProgressNotify();
      this.next = next;
      this.storeRevision = first.revision();
      this.term = first.raftTerm();
      Pair<BoundedSourceQueue<Item>, Source<Item, NotUsed>> queue =
          Source.<Item>queue(settings.requestsPending()).preMaterialize(stream.mat);
      this.requests = queue.first();
      long from = next;
      Source<Item, NotUsed> items = history(first, from).merge(queue.second());
      if (progressNotify) {
        items = items.merge(Source.tick(settings.progressNotifyInterval(), settings.progressNotifyInterval(),
            (Item) Signal.TICK).mapMaterializedValue(c -> NotUsed.getInstance()));
      }
      Source<Item, NotUsed> all = items;
      Source.completionStageSource(opened.thenApply(o -> all))
          .mapConcat(this::step)
          .takeWhile(o -> !(o instanceof Response r && r.ends() != null), true)
          .watchTermination((m, done) -> {
            // a watch that cannot go on fails the whole stream: its client must watch again (elsewhere)
            done.whenComplete((d, failure) -> {
              if (failure != null) stream.stop.abort(KvService.failed(failure));
            });
            return m;
          })
          .via(stream.stop.flow())
          .runWith(stream.hub, stream.mat);
    }

    void open() {
      opened.complete(NotUsed.getInstance());
    }

    void offer(Item item) {
      if (requests.offer(item) != QueueOfferResult.enqueued()) {
        stream.stop.abort(KvService.status(EtcdError.TOO_MANY_REQUESTS));
      }
    }

    /** The events from {@code from} on, given the read that answered from there. */
    private Source<Item, NotUsed> history(EtcdResult.Done done, long from) {
      long compacted = compactRevision(done);
      if (from < compacted) return Source.single(new Compacted(compacted, done.revision(), done.raftTerm()));
      List<Event> events = events(done.events());
      long last = events.isEmpty() ? 0 : events.get(events.size() - 1).getKv().getModRevision();
      boolean more = !events.isEmpty() && last < done.revision();
      long through = more ? last : done.revision();
      taken.accumulateAndGet(through, Math::max);
      Source<Item, NotUsed> rest = more ? read(last + 1) : live(done.appliedIndex() + 1);
      return Source.<Item>single(new Batch(done.revision(), done.raftTerm(), events, through, !more, compacted))
          .concat(rest);
    }

    private Source<Item, NotUsed> read(long from) {
      return Source.completionStageSource(WatchService.this.read(from).thenApply(done -> history(done, from)))
          .mapMaterializedValue(m -> NotUsed.getInstance());
    }

    /** What this member applies from {@code fromIndex} on; history again when that is no longer held here. */
    private Source<Item, NotUsed> live(long fromIndex) {
      return group.watchApplied(fromIndex)
          .mapConcat(this::applied)
          .recoverWithRetries(1, RaftException.WatchFromTooOld.class, () -> read(taken.get() + 1));
    }

    private List<Item> applied(AppliedCommand<EtcdCommand, EtcdResult> command) {
      EtcdResult result = command.result();
      if (result == null) return List.of(); // refused alike everywhere: nothing changed
      long compacted = result instanceof EtcdResult.Done && command.command() instanceof EtcdCommand.Compact c
          ? c.revision() : 0;
      List<Event> events = result instanceof EtcdResult.Done done ? events(done.events()) : List.of();
      taken.accumulateAndGet(result.revision(), Math::max);
      return List.of(new Batch(result.revision(), result.raftTerm(), events, result.revision(), true, compacted));
    }

    private boolean watches(ByteString k) {
      if (end.isEmpty()) return k.equals(key);
      if (KEY_ORDER.compare(k, key) < 0) return false;
      return fromKey || KEY_ORDER.compare(k, end) < 0;
    }

    private List<Out> step(Item item) {
      if (item instanceof Batch b) {
        compactRevision = Math.max(compactRevision, b.compactRevision());
        storeRevision = Math.max(storeRevision, b.revision());
        term = b.term();
        live |= b.live();
        List<Event> out = new ArrayList<>();
        for (Event e : b.events()) {
          long revision = e.getKv().getModRevision();
          if (revision < next || !watches(e.getKv().getKey())) continue;
          if (e.getType() == Event.EventType.PUT ? noPut : noDelete) continue;
          boolean create = e.getType() == Event.EventType.PUT && e.getKv().getVersion() == 1;
          // etcd reads prev_kv at revision - 1: none for a create, none where that revision is compacted
          if (e.hasPrevKv() && (!prevKv || create || revision - 1 < compactRevision)) {
            e = e.toBuilder().clearPrevKv().build();
          }
          out.add(e);
        }
        next = Math.max(next, b.through() + 1);
        if (out.isEmpty()) return List.of();
        sentSinceTick = true;
        return List.of(new Response(WatchResponse.newBuilder().setHeader(header(b.revision(), b.term()))
            .setWatchId(id).addAllEvents(out).build(), null, null));
      } else if (item instanceof Compacted c) {
        stream.ended(this);
        return List.of(new Response(WatchResponse.newBuilder().setHeader(header(c.revision(), c.term()))
            .setWatchId(id).setCompactRevision(c.compactRevision()).setCanceled(true)
            .setCancelReason(COMPACTED_REASON).build(), null, this));
      } else if (item instanceof ProgressMarker m) {
        return List.of(new ProgressAnswer(m.token(), id, storeRevision, term));
      } else if (item == Signal.TICK) {
        boolean notify = live && !sentSinceTick;
        sentSinceTick = false;
        if (!notify) return List.of();
        return List.of(new Response(WatchResponse.newBuilder().setHeader(header(storeRevision, term)).setWatchId(id)
            .build(), null, null));
      } else if (item == Signal.CANCEL) {
        stream.ended(this);
        return List.of(new Response(WatchResponse.newBuilder().setHeader(header(storeRevision, term)).setWatchId(id)
            .setCanceled(true).build(), null, this));
      }
      throw new IllegalStateException("watch " + id + " got an unknown item " + item);
    }
  }
}
