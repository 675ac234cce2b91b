package io.pekkoraft.etcd;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.etcd.api.CompactionResponse;
import io.pekkoraft.etcd.api.Event;
import io.pekkoraft.etcd.api.LeaseGrantResponse;
import io.pekkoraft.etcd.api.LeaseLeasesResponse;
import io.pekkoraft.etcd.api.LeaseStatus;
import io.pekkoraft.etcd.api.LeaseTimeToLiveResponse;
import io.pekkoraft.etcd.api.RangeRequest;
import io.pekkoraft.etcd.api.ResponseHeader;
import io.pekkoraft.etcd.api.TxnRequest;
import io.pekkoraft.etcd.api.WatchResponse;
import io.pekkoraft.etcd.kv.EtcdError;
import io.pekkoraft.etcd.kv.EtcdException;
import io.pekkoraft.etcd.kv.Lease;
import io.pekkoraft.etcd.kv.MvccStore;
import java.util.List;

/**
 * The replicated state machine of the etcd API: an {@link MvccStore}, plus the log index and Raft term of the
 * latest entry applied (for response headers, and for Watch to go on from a read of the event log with
 * {@code RaftGroup.watchApplied}). Deterministic: everything comes from the commands and their
 * {@link AppliedEntry}; lease grants are stamped with the entry's log time, never a clock.
 *
 * <p>A refused request ({@link EtcdException}) is answered {@link EtcdResult.Refused}, the store unchanged. A
 * command whose bytes do not parse is refused by the service before it is proposed; if such bytes reach the log
 * anyway, apply throws and every member refuses them alike ({@code CommandFailed}).
 */
public final class EtcdStateMachine implements StateMachine<EtcdCommand, EtcdQuery, EtcdResult> {

  /** The snapshot: the store's bytes ({@link MvccStore#toBytes}) and where in the log it was taken. */
  public record Snapshot(byte[] store, long appliedIndex, long appliedTerm) {}

  private MvccStore store = new MvccStore();
  private long appliedIndex;
  private long appliedTerm;

  public EtcdStateMachine() {}

  /** The store, for tests on this member's own state machine (single-threaded use only). */
  MvccStore store() {
    return store;
  }

  @Override
  public EtcdResult apply(EtcdCommand command) {
    throw new UnsupportedOperationException("the etcd state machine is applied with its log entry");
  }

  @Override
  public EtcdResult apply(EtcdCommand command, AppliedEntry entry) {
    appliedIndex = entry.index();
    appliedTerm = entry.term();
    try {
      if (command instanceof EtcdCommand.Txn txn) {
        MvccStore.Written<?> done = store.txn(parse(txn.request()));
        return done(((com.google.protobuf.Message) done.response()).toByteArray(), done.events());
      } else if (command instanceof EtcdCommand.Compact compact) {
        store.compact(compact.revision());
        return done(CompactionResponse.newBuilder().setHeader(header()).build().toByteArray(), List.of());
      } else if (command instanceof EtcdCommand.LeaseGrant grant) {
        long id = grant.id() != 0 ? grant.id() : newLeaseId(entry.index());
        store.grantLease(id, grant.ttlSeconds(), entry.logTimeMillis());
        return done(LeaseGrantResponse.newBuilder().setHeader(header()).setID(id).setTTL(grant.ttlSeconds())
            .build().toByteArray(), List.of());
      } else if (command instanceof EtcdCommand.LeaseRevoke revoke) {
        MvccStore.Written<?> done = store.revokeLease(revoke.id());
        return done(((com.google.protobuf.Message) done.response()).toByteArray(), done.events());
      } else if (command instanceof EtcdCommand.LeaseExpire expire) {
        // Only in the term its lessor decided it in: an entry of another term carries the expiry of a deposed
        // leader (forwarded to, or appended again by, a later one), whose deadlines the later leader extended.
        if (expire.term() != entry.term()) throw EtcdError.NOT_LEADER.exception();
        MvccStore.Written<?> done = store.revokeLease(expire.id());
        return done(((com.google.protobuf.Message) done.response()).toByteArray(), done.events());
      }
      throw new IllegalArgumentException("unknown etcd command " + command);
    } catch (EtcdException e) {
      return new EtcdResult.Refused(e.error(), store.revision(), appliedTerm, appliedIndex);
    }
  }

  @Override
  public EtcdResult query(EtcdQuery query) {
    try {
      if (query instanceof EtcdQuery.Range range) {
        return done(store.range(parseRange(range.request())).toByteArray(), List.of());
      } else if (query instanceof EtcdQuery.ReadTxn txn) {
        return done(store.readTxn(parse(txn.request())).toByteArray(), List.of());
      } else if (query instanceof EtcdQuery.Events events) {
        return done(new byte[0], store.eventsFrom(events.fromRevision(), events.maxRevisions()));
      } else if (query instanceof EtcdQuery.Stats) {
        long size = store.sizeBytes();
        return done(io.pekkoraft.etcd.api.StatusResponse.newBuilder().setDbSize(size).setDbSizeInUse(size).build()
            .toByteArray(), List.of());
      } else if (query instanceof EtcdQuery.Watch watch) {
        long compacted = store.compactRevision();
        byte[] response = WatchResponse.newBuilder().setCompactRevision(compacted).build().toByteArray();
        return done(response, watch.fromRevision() < compacted ? List.of()
            : store.eventsFrom(watch.fromRevision(), watch.maxRevisions()));
      } else if (query instanceof EtcdQuery.LeaseTimeToLive ttl) {
        Lease lease = store.lease(ttl.id()).orElseThrow(EtcdError.LEASE_NOT_FOUND::exception);
        LeaseTimeToLiveResponse.Builder out = LeaseTimeToLiveResponse.newBuilder().setHeader(header())
            .setID(lease.id()).setTTL(lease.ttlSeconds()).setGrantedTTL(lease.ttlSeconds());
        if (ttl.keys()) out.addAllKeys(lease.keys());
        return done(out.build().toByteArray(), List.of());
      } else if (query instanceof EtcdQuery.Leases) {
        LeaseLeasesResponse.Builder out = LeaseLeasesResponse.newBuilder().setHeader(header());
        for (Lease lease : store.leases()) out.addLeases(LeaseStatus.newBuilder().setID(lease.id()));
        return done(out.build().toByteArray(), List.of());
      } else if (query instanceof EtcdQuery.LeaseTtls) {
        // Pairs of (id, TTL) as two int64s each, in id order: read back by leaseTtls.
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
          for (Lease lease : store.leases()) {
            out.writeInt64NoTag(lease.id());
            out.writeInt64NoTag(lease.ttlSeconds());
          }
          out.flush();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return done(bytes.toByteArray(), List.of());
      }
      throw new IllegalArgumentException("unknown etcd query " + query);
    } catch (EtcdException e) {
      return new EtcdResult.Refused(e.error(), store.revision(), appliedTerm, appliedIndex);
    }
  }

  /**
   * The id of a lease granted without one, from the log index of its grant: the same on every member, positive
   * (etcd's lease ids are), never 0 (no lease) nor an id in use.
   */
  private long newLeaseId(long index) {
    for (long attempt = 0; ; attempt++) {
      long z = index * 0x9E3779B97F4A7C15L + attempt * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      long id = (z ^ (z >>> 31)) & Long.MAX_VALUE;
      if (id != 0 && store.lease(id).isEmpty()) return id;
    }
  }

  /** The leases of an {@link EtcdQuery.LeaseTtls} answer: id to TTL in seconds, in id order. */
  static java.util.Map<Long, Long> leaseTtls(byte[] response) {
    java.util.Map<Long, Long> ttls = new java.util.LinkedHashMap<>();
    CodedInputStream in = CodedInputStream.newInstance(response);
    try {
      while (!in.isAtEnd()) ttls.put(in.readInt64(), in.readInt64());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the etcd state machine answered lease TTLs that do not parse: " + e, e);
    }
    return ttls;
  }

  private ResponseHeader header() {
    return ResponseHeader.newBuilder().setRevision(store.revision()).setRaftTerm(appliedTerm).build();
  }

  private EtcdResult.Done done(byte[] response, List<Event> events) {
    byte[] eventBytes = events.isEmpty() ? new byte[0]
        : WatchResponse.newBuilder().addAllEvents(events).build().toByteArray();
    return new EtcdResult.Done(response, eventBytes, store.revision(), appliedTerm, appliedIndex);
  }

  private static TxnRequest parse(byte[] bytes) {
    try {
      return TxnRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an etcd TxnRequest: " + e.getMessage(), e);
    }
  }

  private static RangeRequest parseRange(byte[] bytes) {
    try {
      return RangeRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an etcd RangeRequest: " + e.getMessage(), e);
    }
  }

  @Override
  public Object snapshot() {
    return new Snapshot(store.toBytes(), appliedIndex, appliedTerm);
  }

  @Override
  public void restore(Object snapshot) {
    Snapshot s = (Snapshot) snapshot;
    MvccStore restored = MvccStore.fromBytes(s.store());
    store = restored;
    appliedIndex = s.appliedIndex();
    appliedTerm = s.appliedTerm();
  }
}
