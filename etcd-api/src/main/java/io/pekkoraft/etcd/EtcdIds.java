package io.pekkoraft.etcd;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * etcd's 64-bit cluster and member ids, derived from names so that every member computes the same ones without
 * storing anything: the first 8 bytes (big-endian) of the SHA-256 of the name in UTF-8, prefixed with
 * {@code "cluster:"} for the group id and {@code "member:"} for a member id. 0 (etcd's "no id") becomes 1. Etcd
 * clients print them as unsigned hexadecimal numbers.
 */
public final class EtcdIds {

  private EtcdIds() {}

  /** The cluster id of the etcd group {@code groupId}. */
  public static long clusterId(String groupId) {
    return hash("cluster:" + groupId);
  }

  /** The member id of member {@code memberId} (its Pekko Raft member name). */
  public static long memberId(String memberId) {
    return hash("member:" + memberId);
  }

  private static long hash(String name) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      long id = 0;
      for (int i = 0; i < 8; i++) id = (id << 8) | (digest[i] & 0xff);
      return id == 0 ? 1 : id;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }
}
