package io.pekkoraft.etcd;

/**
 * What goes through the Raft log of the etcd group: every write of the etcd API. Requests travel as the bytes of
 * their etcd protobuf message (etcd's own wire format, stable), parsed again by each member's state machine.
 * Registered with Kryo by {@link EtcdKryoRegistrar}.
 */
public sealed interface EtcdCommand {

  /**
   * A write transaction: the bytes of a {@code TxnRequest}. Put and DeleteRange travel as a Txn of that one
   * operation (the service takes its single response back out).
   */
  record Txn(byte[] request) implements EtcdCommand {}

  /** Compacts the history at {@code revision}. */
  record Compact(long revision) implements EtcdCommand {}

  /**
   * Grants lease {@code id} with {@code ttlSeconds}, at the entry's log time; {@code id} 0 lets apply choose one
   * from the entry's log index (the same on every member).
   */
  record LeaseGrant(long id, long ttlSeconds) implements EtcdCommand {}

  /** Revokes lease {@code id} and deletes its keys (at one revision): a client's LeaseRevoke. */
  record LeaseRevoke(long id) implements EtcdCommand {}

  /**
   * Lease {@code id} expired, as decided by the lessor of the leader of {@code term}: revoked like
   * {@link LeaseRevoke} only when applied from an entry of that same term, refused ({@code NOT_LEADER}, the store
   * unchanged) from an entry of any other term. A leader whose term is over decided on deadlines a later leader
   * has extended; its expiry must not reach the store through another leader's log entry.
   */
  record LeaseExpire(long id, long term) implements EtcdCommand {}
}
