package io.pekkoraft.etcd.kv;

/**
 * A request the etcd API refuses (an operational condition, not a broken invariant): thrown by {@link MvccStore}
 * before it changes anything, so the store is as it was; the service answers it as {@link #error()}'s status.
 */
public final class EtcdException extends RuntimeException {

  private final EtcdError error;

  public EtcdException(EtcdError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public EtcdError error() {
    return error;
  }
}
