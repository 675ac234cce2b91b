package io.pekkoraft.etcd;

import com.typesafe.config.Config;

/**
 * {@code pekko-raft.etcd}: see this module's reference.conf for each key's default and danger.
 *
 * @param enabled start the etcd API when the extension is loaded
 * @param group the Raft group that holds the store
 * @param maxRequestBytes the largest write request accepted (its protobuf size)
 * @param maxTxnOps compares, and operations per branch, at each level of a Txn
 */
public record EtcdSettings(boolean enabled, String group, long maxRequestBytes, int maxTxnOps) {

  public static final String PATH = "pekko-raft.etcd";

  public EtcdSettings {
    if (group == null || group.isBlank()) throw new IllegalArgumentException(PATH + ".group must not be empty");
    if (maxRequestBytes < 1) {
      throw new IllegalArgumentException(PATH + ".max-request-bytes must be 1 or more, got " + maxRequestBytes);
    }
    if (maxTxnOps < 1) throw new IllegalArgumentException(PATH + ".max-txn-ops must be 1 or more, got " + maxTxnOps);
  }

  public static EtcdSettings fromConfig(Config config) {
    Config c = config.getConfig(PATH);
    return new EtcdSettings(c.getBoolean("enabled"), c.getString("group"), c.getBytes("max-request-bytes"),
        c.getInt("max-txn-ops"));
  }
}
