package io.pekkoraft.etcd;

/** Reads of the etcd group's store, served by {@link EtcdStateMachine#query}. */
public sealed interface EtcdQuery {

  /** The bytes of a {@code RangeRequest}. */
  record Range(byte[] request) implements EtcdQuery {}

  /** The bytes of a {@code TxnRequest} whose branches only read (etcd serves such a Txn as a read). */
  record ReadTxn(byte[] request) implements EtcdQuery {}

  /**
   * The events of up to {@code maxRevisions} revisions from {@code fromRevision} on, for Watch: answered as a
   * {@link EtcdResult.Done} whose {@code events} hold them and whose {@code appliedIndex} says where to go on
   * with {@code RaftGroup.watchApplied(appliedIndex + 1)}.
   */
  record Events(long fromRevision, int maxRevisions) implements EtcdQuery {}

  /**
   * For Maintenance.Status: answered as a {@link EtcdResult.Done} whose response is a {@code StatusResponse} with
   * only {@code dbSize} and {@code dbSizeInUse} set ({@code MvccStore.sizeBytes()}, an estimate).
   */
  record Stats() implements EtcdQuery {}

  /**
   * Watch's read of the event log: the events of up to {@code maxRevisions} revisions from {@code fromRevision}
   * on, as {@link Events}, but never refused: the {@link EtcdResult.Done}'s {@code response} is a
   * {@code WatchResponse} whose {@code compact_revision} is the store's compaction revision (when
   * {@code fromRevision} is below it, the events are empty and the watch is cancelled with it, as etcd does).
   */
  record Watch(long fromRevision, int maxRevisions) implements EtcdQuery {}

  /**
   * Lease {@code id} as the store holds it: a {@code LeaseTimeToLiveResponse} with its granted TTL (also in
   * {@code TTL}: the remaining time is the leader's to say, not the store's) and, when {@code keys}, its keys;
   * Refused LEASE_NOT_FOUND when there is none.
   */
  record LeaseTimeToLive(long id, boolean keys) implements EtcdQuery {}

  /** Every lease's id: a {@code LeaseLeasesResponse}. */
  record Leases() implements EtcdQuery {}

  /**
   * Every lease with its TTL, for the leader's lessor: {@link EtcdStateMachine#leaseTtls} decodes the response;
   * its {@code appliedIndex} says from where to follow grants and revocations with {@code watchApplied}.
   */
  record LeaseTtls() implements EtcdQuery {}
}
