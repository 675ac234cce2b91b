package io.pekkoraft.etcd.kv;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.ExtensionRegistryLite;
import io.pekkoraft.etcd.api.Compare;
import io.pekkoraft.etcd.api.DeleteRangeRequest;
import io.pekkoraft.etcd.api.DeleteRangeResponse;
import io.pekkoraft.etcd.api.Event;
import io.pekkoraft.etcd.api.KeyValue;
import io.pekkoraft.etcd.api.PutRequest;
import io.pekkoraft.etcd.api.PutResponse;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.RangeResponse;
import io.pekkoraft.etcd.api.RequestOp;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.api.ResponseOp;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.TxnResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * etcd's multi-version key-value store, in memory, pure and deterministic: no clock, no I/O, no threads. One
 * instance per member, inside {@link io.pekkoraft.etcd.EtcdStateMachine}; every member applies the same writes in
 * the same order, so every member's store goes through the same revisions.
 *
 * <p>Revisions, as etcd counts them: the store starts at revision 1 with no keys; each write transaction that
 * changes something (a Put, a DeleteRange that deletes a key, a Txn whose chosen branch does either) moves it up by
 * one, and every key it changes gets that revision as {@code mod_revision}. A key's {@code create_revision} is the
 * revision of the Put that created it (again after a delete) and its {@code version} counts its Puts since then.
 * A Txn that only reads, a DeleteRange that deletes nothing, and a Txn whose chosen branch changes nothing leave
 * the revision as it is.
 *
 * <p>Data structures:
 *
 * <ul>
 *   <li>{@code index}: key (unsigned byte order, like etcd's) to its versions in revision order, each a
 *       {@link KeyValue}; a deletion is a tombstone, a KeyValue with the key, {@code mod_revision} = the
 *       deleting revision and {@code version} 0 (what etcd's DELETE events carry). A read at revision r takes
 *       the last version with {@code mod_revision <= r}; a tombstone there means no key.
 *   <li>{@code events}: revision to the events of that revision, in the order applied (PUT with the new
 *       KeyValue, DELETE with the tombstone, each with the key's previous KeyValue as {@code prev_kv}): the log
 *       that Watch reads from a revision ({@link #eventsFrom}).
 *   <li>{@code leases}: lease id to {@link Lease} (TTL, grant time, attached keys).
 * </ul>
 *
 * <p>History is kept until compacted ({@link #compact}), as etcd keeps it without auto-compaction: memory grows
 * with every write until a Compact. Compacting at r drops, for each key, the versions a read at r or later
 * cannot see (those older than its latest version at r, and that one too if it is a tombstone) and the events
 * before r. Reads at a revision below r then fail with {@link EtcdError#COMPACTED}, reads past the current
 * revision with {@link EtcdError#FUTURE_REVISION}.
 *
 * <p>Every refused request throws {@link EtcdException} before anything changed (a Txn is checked whole first).
 * Limits are checked before a request is proposed, with the member's configuration ({@link #checkTxn}: compares
 * and operations at each level of a Txn, etcd's default 128; the request size,
 * {@code pekko-raft.etcd.max-request-bytes}), never in apply, where members with different settings would
 * diverge.
 */
public final class MvccStore {

  /** etcd's default bound of compares, and of operations in each branch, at each level of a Txn. */
  public static final int DEFAULT_MAX_TXN_OPS = 128;

  private static final Comparator<ByteString> KEY_ORDER = ByteString.unsignedLexicographicalComparator();
  private static final ByteString ALL_FROM_KEY = ByteString.copyFrom(new byte[] {0});

  private long revision = 1;
  private long compactRevision = 0;
  private final TreeMap<ByteString, ArrayList<KeyValue>> index = new TreeMap<>(KEY_ORDER);
  private final TreeMap<Long, List<Event>> events = new TreeMap<>();
  private final TreeMap<Long, Lease> leases = new TreeMap<>();

  public MvccStore() {}

  /** The current revision: 1 for an empty store, then +1 per write transaction that changed something. */
  public long revision() {
    return revision;
  }

  /** The revision of the latest Compact (0: never compacted); reads below it fail with COMPACTED. */
  public long compactRevision() {
    return compactRevision;
  }

  /** What a write transaction did: its response, the store's revision after it, and its events (none: no change). */
  public record Written<T>(T response, long revision, List<Event> events) {}

  // ---- reads ----

  /** A Range at {@code request.revision} (0 or less: the current one); header revision is the current one. */
  public RangeResponse range(RangeRequest request) {
    checkReadRevision(request.getRevision(), revision);
    return rangeAt(request, revision, revision);
  }

  private void checkReadRevision(long requested, long current) {
    if (requested > current) throw EtcdError.FUTURE_REVISION.exception();
    if (requested > 0 && requested < compactRevision) throw EtcdError.COMPACTED.exception();
  }

  /** Reads at the request's revision, or at {@code current} (inside a Txn: the new revision, with its writes so far). */
  private RangeResponse rangeAt(RangeRequest request, long current, long headerRevision) {
    long at = request.getRevision() > 0 ? request.getRevision() : current;
    List<KeyValue> found = new ArrayList<>();
    long count = 0;
    boolean filtered = request.getMinModRevision() != 0 || request.getMaxModRevision() != 0
        || request.getMinCreateRevision() != 0 || request.getMaxCreateRevision() != 0;
    boolean sorted = sorts(request);
    // Without sorting or filters, only limit + 1 keys are needed (the extra one tells 'more').
    long fetch = request.getLimit() > 0 && !sorted && !filtered ? request.getLimit() + 1 : Long.MAX_VALUE;
    for (ArrayList<KeyValue> versions : keys(request.getKey(), request.getRangeEnd()).values()) {
      KeyValue kv = versionAt(versions, at);
      if (kv == null) continue;
      count++;
      if (request.getCountOnly() || found.size() >= fetch) continue;
      if (filtered && !passes(request, kv)) continue;
      found.add(kv);
    }
    if (sorted) found.sort(sortOrder(request));
    RangeResponse.Builder response = RangeResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(headerRevision)).setCount(count);
    if (request.getLimit() > 0 && found.size() > request.getLimit()) {
      found = found.subList(0, (int) request.getLimit());
      response.setMore(true);
    }
    if (!request.getCountOnly()) {
      for (KeyValue kv : found) {
        response.addKvs(request.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
      }
    }
    return response.build();
  }

  private static boolean passes(RangeRequest r, KeyValue kv) {
    return (r.getMinModRevision() == 0 || kv.getModRevision() >= r.getMinModRevision())
        && (r.getMaxModRevision() == 0 || kv.getModRevision() <= r.getMaxModRevision())
        && (r.getMinCreateRevision() == 0 || kv.getCreateRevision() >= r.getMinCreateRevision())
        && (r.getMaxCreateRevision() == 0 || kv.getCreateRevision() <= r.getMaxCreateRevision());
  }

  /** As etcd: NONE with a target other than KEY sorts ascending; ascending by key is the index's own order. */
  private static boolean sorts(RangeRequest r) {
    RangeRequest.SortOrder order = r.getSortOrder();
    if (order == RangeRequest.SortOrder.NONE) return r.getSortTarget() != RangeRequest.SortTarget.KEY;
    return !(order == RangeRequest.SortOrder.ASCEND && r.getSortTarget() == RangeRequest.SortTarget.KEY);
  }

  private static Comparator<KeyValue> sortOrder(RangeRequest r) {
    Comparator<KeyValue> by = switch (r.getSortTarget()) {
      case KEY, UNRECOGNIZED -> Comparator.comparing(KeyValue::getKey, KEY_ORDER);
      case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
      case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
      case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
      case VALUE -> Comparator.comparing(KeyValue::getValue, KEY_ORDER);
    };
    return r.getSortOrder() == RangeRequest.SortOrder.DESCEND ? by.reversed() : by;
  }

  /** The keys of [key, rangeEnd): a single key when rangeEnd is empty, every key from key on when it is "\0". */
  private NavigableMap<ByteString, ArrayList<KeyValue>> keys(ByteString key, ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      ArrayList<KeyValue> versions = index.get(key);
      if (versions == null) return Collections.emptyNavigableMap();
      TreeMap<ByteString, ArrayList<KeyValue>> one = new TreeMap<>(KEY_ORDER);
      one.put(key, versions);
      return one;
    }
    if (rangeEnd.equals(ALL_FROM_KEY)) return index.tailMap(key, true);
    if (KEY_ORDER.compare(key, rangeEnd) >= 0) return Collections.emptyNavigableMap();
    return index.subMap(key, true, rangeEnd, false);
  }

  /** The live version at revision {@code at}, or null (no version yet, or a tombstone). */
  private static KeyValue versionAt(List<KeyValue> versions, long at) {
    int low = 0;
    int high = versions.size() - 1;
    int found = -1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      if (versions.get(mid).getModRevision() <= at) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found < 0) return null;
    KeyValue kv = versions.get(found);
    return kv.getVersion() == 0 ? null : kv;
  }

  private KeyValue latest(ByteString key) {
    ArrayList<KeyValue> versions = index.get(key);
    if (versions == null) return null;
    KeyValue kv = versions.get(versions.size() - 1);
    return kv.getVersion() == 0 ? null : kv;
  }

  // ---- writes ----

  public Written<PutResponse> put(PutRequest request) {
    Written<TxnResponse> done = txn(TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setRequestPut(request)).build());
    return new Written<>(done.response().getResponses(0).getResponsePut(), done.revision(), done.events());
  }

  public Written<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
    Written<TxnResponse> done = txn(TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(request)).build());
    return new Written<>(done.response().getResponses(0).getResponseDeleteRange(), done.revision(), done.events());
  }

  /** True when the branches the Txn can take hold no Put or DeleteRange: etcd serves it as a read. */
  public static boolean readOnly(TxnRequest request) {
    for (List<RequestOp> branch : List.of(request.getSuccessList(), request.getFailureList())) {
      for (RequestOp op : branch) {
        switch (op.getRequestCase()) {
          case REQUEST_PUT, REQUEST_DELETE_RANGE -> {
            return false;
          }
          case REQUEST_TXN -> {
            if (!readOnly(op.getRequestTxn())) return false;
          }
          default -> {}
        }
      }
    }
    return true;
  }

  /**
   * A read-only Txn ({@link #readOnly}) against the current state, changing nothing: the compares choose the
   * branch, the ranges are read.
   */
  public TxnResponse readTxn(TxnRequest request) {
    if (!readOnly(request)) throw new IllegalArgumentException("readTxn given a Txn that writes");
    return txn(request).response();
  }

  /**
   * A Txn: its compares (and those of nested Txns in the chosen branch) are evaluated first, all against the
   * state before it, which chooses the branch of each; every operation of the chosen branches is then checked
   * (revisions of ranges, leases and ignore flags of puts) and only then applied, in order, at one new revision.
   * A range inside the Txn sees the writes of the operations before it.
   */
  public Written<TxnResponse> txn(TxnRequest request) {
    checkTxn(request, Integer.MAX_VALUE);
    Path path = choose(request);
    checkPath(request, path);
    long next = revision + 1;
    List<Event> changes = new ArrayList<>();
    TxnResponse response = applyTxn(request, path, next, changes);
    if (!changes.isEmpty()) {
      revision = next;
      events.put(next, List.copyOf(changes));
    }
    return new Written<>(response.toBuilder().setHeader(ResponseHeader.newBuilder().setRevision(revision)).build(),
        revision, changes.isEmpty() ? List.of() : events.get(next));
  }

  /** The branch each Txn takes, decided before anything is applied. */
  private record Path(boolean succeeded, List<Path> nested) {}

  private Path choose(TxnRequest request) {
    boolean succeeded = true;
    for (Compare compare : request.getCompareList()) {
      if (!holds(compare)) {
        succeeded = false;
        break;
      }
    }
    List<Path> nested = new ArrayList<>();
    for (RequestOp op : succeeded ? request.getSuccessList() : request.getFailureList()) {
      if (op.hasRequestTxn()) nested.add(choose(op.getRequestTxn()));
    }
    return new Path(succeeded, nested);
  }

  /** As etcd: every key in the compare's range must satisfy it; no key fails a VALUE compare, else compares 0s. */
  private boolean holds(Compare compare) {
    Collection<ArrayList<KeyValue>> range = keys(compare.getKey(), compare.getRangeEnd()).values();
    boolean any = false;
    for (ArrayList<KeyValue> versions : range) {
      KeyValue kv = versions.get(versions.size() - 1);
      if (kv.getVersion() == 0) continue;
      any = true;
      if (!holds(compare, kv)) return false;
    }
    if (any) return true;
    if (compare.getTarget() == Compare.CompareTarget.VALUE) return false;
    return holds(compare, KeyValue.getDefaultInstance());
  }

  private static boolean holds(Compare compare, KeyValue kv) {
    int order = switch (compare.getTarget()) {
      case VALUE -> Integer.signum(KEY_ORDER.compare(kv.getValue(), compare.getValue()));
      case VERSION -> Long.compare(kv.getVersion(), compare.getVersion());
      case CREATE -> Long.compare(kv.getCreateRevision(), compare.getCreateRevision());
      case MOD -> Long.compare(kv.getModRevision(), compare.getModRevision());
      case UNRECOGNIZED -> {
        if (compare.getTargetValue() != LEASE_TARGET) {
          throw new IllegalArgumentException("unknown compare target " + compare.getTargetValue());
        }
        yield Long.compare(kv.getLease(), compareLease(compare));
      }
    };
    return switch (compare.getResult()) {
      case EQUAL -> order == 0;
      case GREATER -> order > 0;
      case LESS -> order < 0;
      case NOT_EQUAL -> order != 0;
      case UNRECOGNIZED -> throw new IllegalArgumentException("unknown compare result " + compare.getResultValue());
    };
  }

  /**
   * etcd's {@code Compare.CompareTarget.LEASE} (4) and its field {@code lease} (8) came after the rpc.proto that
   * jetcd-grpc carries: they arrive as an unrecognized enum value and an unknown varint field.
   */
  static final int LEASE_TARGET = 4;
  private static final int LEASE_FIELD = 8;

  private static long compareLease(Compare compare) {
    List<Long> values = compare.getUnknownFields().hasField(LEASE_FIELD)
        ? compare.getUnknownFields().getField(LEASE_FIELD).getVarintList() : List.of();
    return values.isEmpty() ? 0 : values.get(values.size() - 1);
  }

  /** Checks the ops of the chosen branches against the state before the Txn (nothing is applied yet). */
  private void checkPath(TxnRequest request, Path path) {
    int nested = 0;
    for (RequestOp op : path.succeeded() ? request.getSuccessList() : request.getFailureList()) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> checkReadRevision(op.getRequestRange().getRevision(), revision);
        case REQUEST_PUT -> checkPut(op.getRequestPut());
        case REQUEST_TXN -> checkPath(op.getRequestTxn(), path.nested().get(nested++));
        default -> {}
      }
    }
  }

  private void checkPut(PutRequest put) {
    if (put.getIgnoreValue() || put.getIgnoreLease()) {
      if (latest(put.getKey()) == null) throw EtcdError.KEY_NOT_FOUND.exception();
    }
    if (put.getLease() != 0 && !leases.containsKey(put.getLease())) throw EtcdError.LEASE_NOT_FOUND.exception();
  }

  private TxnResponse applyTxn(TxnRequest request, Path path, long next, List<Event> changes) {
    TxnResponse.Builder response = TxnResponse.newBuilder().setSucceeded(path.succeeded());
    int nested = 0;
    for (RequestOp op : path.succeeded() ? request.getSuccessList() : request.getFailureList()) {
      ResponseOp.Builder result = ResponseOp.newBuilder();
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> result.setResponseRange(rangeAt(op.getRequestRange(), next,
            changes.isEmpty() ? revision : next));
        case REQUEST_PUT -> result.setResponsePut(applyPut(op.getRequestPut(), next, changes));
        case REQUEST_DELETE_RANGE -> result.setResponseDeleteRange(applyDelete(op.getRequestDeleteRange(), next,
            changes));
        case REQUEST_TXN -> result.setResponseTxn(applyTxn(op.getRequestTxn(), path.nested().get(nested++), next,
            changes));
        case REQUEST_NOT_SET -> throw new IllegalArgumentException("a Txn operation with no request");
      }
      response.addResponses(result);
    }
    return response.build();
  }

  private PutResponse applyPut(PutRequest put, long next, List<Event> changes) {
    KeyValue prev = latest(put.getKey());
    ByteString value = put.getIgnoreValue() ? prev.getValue() : put.getValue();
    long lease = put.getIgnoreLease() ? prev.getLease() : put.getLease();
    KeyValue kv = KeyValue.newBuilder().setKey(put.getKey()).setValue(value).setLease(lease)
        .setCreateRevision(prev == null ? next : prev.getCreateRevision()).setModRevision(next)
        .setVersion(prev == null ? 1 : prev.getVersion() + 1).build();
    record(kv, prev, Event.EventType.PUT, changes);
    if (prev != null && prev.getLease() != 0 && prev.getLease() != lease) detach(prev.getLease(), put.getKey());
    if (lease != 0) leases.get(lease).mutableKeys().add(put.getKey());
    PutResponse.Builder response = PutResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setRevision(next));
    if (put.getPrevKv() && prev != null) response.setPrevKv(prev);
    return response.build();
  }

  private DeleteRangeResponse applyDelete(DeleteRangeRequest delete, long next, List<Event> changes) {
    List<KeyValue> deleted = new ArrayList<>();
    for (ArrayList<KeyValue> versions : keys(delete.getKey(), delete.getRangeEnd()).values()) {
      KeyValue kv = versions.get(versions.size() - 1);
      if (kv.getVersion() != 0) deleted.add(kv);
    }
    for (KeyValue prev : deleted) {
      KeyValue tombstone = KeyValue.newBuilder().setKey(prev.getKey()).setModRevision(next).build();
      record(tombstone, prev, Event.EventType.DELETE, changes);
      if (prev.getLease() != 0) detach(prev.getLease(), prev.getKey());
    }
    DeleteRangeResponse.Builder response = DeleteRangeResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(deleted.isEmpty() ? revision : next))
        .setDeleted(deleted.size());
    if (delete.getPrevKv()) response.addAllPrevKvs(deleted);
    return response.build();
  }

  private void record(KeyValue kv, KeyValue prev, Event.EventType type, List<Event> changes) {
    ArrayList<KeyValue> versions = index.computeIfAbsent(kv.getKey(), k -> new ArrayList<>());
    if (!versions.isEmpty() && versions.get(versions.size() - 1).getModRevision() >= kv.getModRevision()) {
      // The duplicate-key check lets each key change at most once per revision.
      throw new IllegalStateException("key " + kv.getKey() + " changed twice at revision " + kv.getModRevision());
    }
    versions.add(kv);
    Event.Builder event = Event.newBuilder().setType(type).setKv(kv);
    if (prev != null) event.setPrevKv(prev);
    changes.add(event.build());
  }

  private void detach(long leaseId, ByteString key) {
    Lease lease = leases.get(leaseId);
    if (lease != null) lease.mutableKeys().remove(key);
  }

  // ---- limits and duplicate keys (etcd's checkTxnRequest and checkIntervals) ----

  /**
   * etcd's checks of a Txn before it is proposed: at most {@code maxTxnOps} compares, and operations in each
   * branch, at every level (TOO_MANY_OPS); no empty key (EMPTY_KEY); a Put's flags ({@link #checkPutFlags}); no
   * key put twice, or put and deleted, by the operations that may run together (DUPLICATE_KEY).
   */
  public static void checkTxn(TxnRequest request, int maxTxnOps) {
    checkOps(request, maxTxnOps);
    checkIntervals(request.getSuccessList());
    checkIntervals(request.getFailureList());
  }

  private static void checkOps(TxnRequest request, int maxTxnOps) {
    if (request.getCompareCount() > maxTxnOps || request.getSuccessCount() > maxTxnOps
        || request.getFailureCount() > maxTxnOps) {
      throw EtcdError.TOO_MANY_OPS.exception();
    }
    for (List<RequestOp> branch : List.of(request.getSuccessList(), request.getFailureList())) {
      for (RequestOp op : branch) {
        // etcd answers an operation with no request at all "key not found".
        if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_NOT_SET) throw EtcdError.KEY_NOT_FOUND.exception();
        if (op.hasRequestTxn()) checkOps(op.getRequestTxn(), maxTxnOps);
        if (op.hasRequestPut() && op.getRequestPut().getKey().isEmpty()) throw EtcdError.EMPTY_KEY.exception();
        if (op.hasRequestRange() && op.getRequestRange().getKey().isEmpty()) throw EtcdError.EMPTY_KEY.exception();
        if (op.hasRequestDeleteRange() && op.getRequestDeleteRange().getKey().isEmpty()) {
          throw EtcdError.EMPTY_KEY.exception();
        }
        if (op.hasRequestPut()) checkPutFlags(op.getRequestPut());
      }
    }
  }

  /** etcd's checks of a Put's flags, before it reaches the store's state. */
  public static void checkPutFlags(PutRequest put) {
    if (put.getIgnoreValue() && !put.getValue().isEmpty()) throw EtcdError.VALUE_PROVIDED.exception();
    if (put.getIgnoreLease() && put.getLease() != 0) throw EtcdError.LEASE_PROVIDED.exception();
  }

  /** The keys a branch puts and the ranges it deletes; a key put twice, or put in a range deleted, is refused. */
  private record Writes(List<ByteString> puts, List<ByteString[]> deletes) {}

  private static Writes checkIntervals(List<RequestOp> ops) {
    List<ByteString[]> deletes = new ArrayList<>();
    for (RequestOp op : ops) {
      if (op.hasRequestDeleteRange()) {
        DeleteRangeRequest d = op.getRequestDeleteRange();
        deletes.add(new ByteString[] {d.getKey(), d.getRangeEnd()});
      }
    }
    TreeMap<ByteString, Boolean> puts = new TreeMap<>(KEY_ORDER);
    for (RequestOp op : ops) {
      if (op.hasRequestTxn()) {
        // Each nested branch on its own; then both together against this level (only one of them runs).
        Writes success = checkIntervals(op.getRequestTxn().getSuccessList());
        Writes failure = checkIntervals(op.getRequestTxn().getFailureList());
        for (Writes nested : List.of(success, failure)) {
          for (ByteString[] range : nested.deletes()) {
            for (ByteString key : puts.keySet()) {
              if (inRange(key, range)) throw EtcdError.DUPLICATE_KEY.exception();
            }
          }
        }
        TreeMap<ByteString, Boolean> nestedPuts = new TreeMap<>(KEY_ORDER);
        for (Writes nested : List.of(success, failure)) {
          for (ByteString key : nested.puts()) nestedPuts.put(key, true);
        }
        for (ByteString key : nestedPuts.keySet()) {
          if (puts.put(key, true) != null) throw EtcdError.DUPLICATE_KEY.exception();
        }
        deletes.addAll(success.deletes());
        deletes.addAll(failure.deletes());
      } else if (op.hasRequestPut()) {
        if (puts.put(op.getRequestPut().getKey(), true) != null) throw EtcdError.DUPLICATE_KEY.exception();
      }
    }
    for (ByteString key : puts.keySet()) {
      for (ByteString[] range : deletes) {
        if (inRange(key, range)) throw EtcdError.DUPLICATE_KEY.exception();
      }
    }
    return new Writes(new ArrayList<>(puts.keySet()), deletes);
  }

  private static boolean inRange(ByteString key, ByteString[] range) {
    if (range[1].isEmpty()) return key.equals(range[0]);
    if (KEY_ORDER.compare(key, range[0]) < 0) return false;
    return range[1].equals(ALL_FROM_KEY) || KEY_ORDER.compare(key, range[1]) < 0;
  }

  // ---- compaction ----

  /**
   * Compact the history at {@code at}: reads below it fail with COMPACTED from now on, and watches cannot start
   * before it. {@code at} past the current revision: FUTURE_REVISION; at or below the last compaction: COMPACTED.
   */
  public void compact(long at) {
    if (at > revision) throw EtcdError.FUTURE_REVISION.exception();
    if (at <= compactRevision) throw EtcdError.COMPACTED.exception();
    compactRevision = at;
    Iterator<ArrayList<KeyValue>> keys = index.values().iterator();
    while (keys.hasNext()) {
      ArrayList<KeyValue> versions = keys.next();
      int keep = -1; // the latest version at 'at': a read at 'at' or later may still need it
      for (int i = 0; i < versions.size() && versions.get(i).getModRevision() <= at; i++) keep = i;
      if (keep < 0) continue;
      int drop = versions.get(keep).getVersion() == 0 ? keep + 1 : keep;
      versions.subList(0, drop).clear();
      if (versions.isEmpty()) keys.remove();
    }
    events.headMap(at, false).clear();
  }

  // ---- watch ----

  /**
   * The events of every revision from {@code fromRevision} on (at most {@code maxRevisions} revisions), in
   * revision order and, within a revision, in the order applied. Fails with COMPACTED when {@code fromRevision}
   * is below the compaction revision (etcd cancels such a watch with {@code compact_revision}).
   */
  public List<Event> eventsFrom(long fromRevision, int maxRevisions) {
    if (fromRevision < compactRevision) throw EtcdError.COMPACTED.exception();
    List<Event> out = new ArrayList<>();
    int n = 0;
    for (List<Event> revisionEvents : events.tailMap(fromRevision, true).values()) {
      if (n++ >= maxRevisions) break;
      out.addAll(revisionEvents);
    }
    return out;
  }

  // ---- leases (the data; when a lease expires is decided by the leader, through the log) ----

  /** Grants lease {@code id}; LEASE_EXISTS if it is already granted. */
  public Lease grantLease(long id, long ttlSeconds, long grantedAtMillis) {
    if (id == 0) throw new IllegalArgumentException("lease id 0 means no lease");
    if (leases.containsKey(id)) throw EtcdError.LEASE_EXISTS.exception();
    Lease lease = new Lease(id, ttlSeconds, grantedAtMillis);
    leases.put(id, lease);
    return lease;
  }

  /** Revokes lease {@code id}, deleting its keys at one new revision (none: the revision stays); LEASE_NOT_FOUND. */
  public Written<DeleteRangeResponse> revokeLease(long id) {
    Lease lease = leases.get(id);
    if (lease == null) throw EtcdError.LEASE_NOT_FOUND.exception();
    TxnRequest.Builder deletes = TxnRequest.newBuilder();
    for (ByteString key : lease.keys()) {
      deletes.addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)));
    }
    long next = revision + 1;
    List<Event> changes = new ArrayList<>();
    long deleted = 0;
    for (RequestOp op : deletes.getSuccessList()) {
      deleted += applyDelete(op.getRequestDeleteRange(), next, changes).getDeleted();
    }
    leases.remove(id);
    if (!changes.isEmpty()) {
      revision = next;
      events.put(next, List.copyOf(changes));
    }
    return new Written<>(DeleteRangeResponse.newBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(revision)).setDeleted(deleted).build(),
        revision, changes.isEmpty() ? List.of() : events.get(next));
  }

  public Optional<Lease> lease(long id) {
    return Optional.ofNullable(leases.get(id));
  }

  /** Every lease, by id. */
  public Collection<Lease> leases() {
    return Collections.unmodifiableCollection(leases.values());
  }

  // ---- size ----

  /**
   * An estimate of the store's size in bytes, for Maintenance.Status's {@code dbSize}: the protobuf size of every
   * key version (tombstones included) and of every event retained, plus 16 bytes per lease and 8 per attached key.
   * Walks the whole store: O(versions + events).
   */
  public long sizeBytes() {
    long size = 0;
    for (ArrayList<KeyValue> versions : index.values()) {
      for (KeyValue kv : versions) size += kv.getSerializedSize();
    }
    for (List<Event> revisionEvents : events.values()) {
      for (Event e : revisionEvents) size += e.getSerializedSize();
    }
    for (Lease lease : leases.values()) size += 16 + 8L * lease.keys().size();
    return size;
  }

  // ---- snapshot ----

  /**
   * The whole store as bytes: revision, compaction revision, every key's versions (tombstones included), the
   * event log and the leases. Deterministic: the same store gives the same bytes.
   */
  public byte[] toBytes() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.writeInt32NoTag(1); // format version
      out.writeInt64NoTag(revision);
      out.writeInt64NoTag(compactRevision);
      out.writeInt32NoTag(index.size());
      for (ArrayList<KeyValue> versions : index.values()) {
        out.writeInt32NoTag(versions.size());
        for (KeyValue kv : versions) out.writeMessageNoTag(kv);
      }
      out.writeInt32NoTag(events.size());
      for (Map.Entry<Long, List<Event>> entry : events.entrySet()) {
        out.writeInt64NoTag(entry.getKey());
        out.writeInt32NoTag(entry.getValue().size());
        for (Event event : entry.getValue()) out.writeMessageNoTag(event);
      }
      out.writeInt32NoTag(leases.size());
      for (Lease lease : leases.values()) {
        out.writeInt64NoTag(lease.id());
        out.writeInt64NoTag(lease.ttlSeconds());
        out.writeInt64NoTag(lease.grantedAtMillis());
        out.writeInt32NoTag(lease.keys().size());
        for (ByteString key : lease.keys()) out.writeBytesNoTag(key);
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A store read back from {@link #toBytes}; anything else fails with a message naming what is wrong. */
  public static MvccStore fromBytes(byte[] data) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(data);
      in.setSizeLimit(Integer.MAX_VALUE);
      int format = in.readInt32();
      if (format != 1) throw new IllegalStateException("etcd store snapshot of format " + format + ", expected 1");
      long revision = in.readInt64();
      long compactRevision = in.readInt64();
      MvccStore store = new MvccStore();
      store.revision = revision;
      store.compactRevision = compactRevision;
      int keys = in.readInt32();
      for (int k = 0; k < keys; k++) {
        int n = in.readInt32();
        ArrayList<KeyValue> versions = new ArrayList<>(n);
        for (int i = 0; i < n; i++) versions.add(in.readMessage(KeyValue.parser(), ExtensionRegistryLite.getEmptyRegistry()));
        store.index.put(versions.get(0).getKey(), versions);
      }
      int revisions = in.readInt32();
      for (int r = 0; r < revisions; r++) {
        long rev = in.readInt64();
        int n = in.readInt32();
        List<Event> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) list.add(in.readMessage(Event.parser(), ExtensionRegistryLite.getEmptyRegistry()));
        store.events.put(rev, List.copyOf(list));
      }
      int leaseCount = in.readInt32();
      for (int l = 0; l < leaseCount; l++) {
        Lease lease = new Lease(in.readInt64(), in.readInt64(), in.readInt64());
        int n = in.readInt32();
        for (int i = 0; i < n; i++) lease.mutableKeys().add(in.readBytes());
        store.leases.put(lease.id(), lease);
      }
      if (!in.isAtEnd()) throw new IllegalStateException("etcd store snapshot has bytes after its leases");
      return store;
    } catch (IOException e) {
      throw new IllegalStateException("etcd store snapshot unreadable: " + e.getMessage(), e);
    }
  }
}
