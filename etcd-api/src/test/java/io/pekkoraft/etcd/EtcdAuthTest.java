package io.pekkoraft.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pekkoraft.etcd.kv.EtcdError;
import io.pekkoraft.etcd.kv.EtcdException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The rules of etcd password authentication on a member, on a manual clock. */
class EtcdAuthTest {

  final AtomicLong now = new AtomicLong(1_000);

  EtcdAuth auth(String conf) {
    Config config = ConfigFactory.parseString("pekko-raft.etcd.auth {" + conf + "}")
        .withFallback(ConfigFactory.defaultReference());
    return EtcdAuth.fromConfig(config, now::get);
  }

  String aliceHash() {
    return EtcdAuth.hash("secret", "saltsaltsaltsalt".getBytes(StandardCharsets.UTF_8), 1000);
  }

  @Test
  void aTokenLivesTokenTtlAfterItsLastUse() {
    EtcdAuth auth = auth("enabled = on, token-ttl = 10s, users = [{ name = alice, password-hash = \""
        + aliceHash() + "\" }]");
    String token = auth.authenticate("alice", "secret");
    now.addAndGet(TimeUnit.SECONDS.toNanos(9));
    assertEquals(Optional.empty(), auth.refusal(token), "used within the ttl: its lifetime starts again");
    now.addAndGet(TimeUnit.SECONDS.toNanos(9));
    assertEquals(Optional.empty(), auth.refusal(token));
    now.addAndGet(TimeUnit.SECONDS.toNanos(10));
    assertEquals(Optional.of(EtcdError.INVALID_AUTH_TOKEN), auth.refusal(token), "idle for the ttl: expired");
    assertEquals(0, auth.tokenCount());
  }

  @Test
  void passwordsAreCheckedAndTokensAreRandom() {
    EtcdAuth auth = auth("enabled = on, users = [{ name = alice, password-hash = \"" + aliceHash() + "\" },"
        + " { name = bob, password = plain }]");
    assertEquals(EtcdError.AUTH_FAILED, assertThrows(EtcdException.class,
        () -> auth.authenticate("alice", "wrong")).error());
    assertEquals(EtcdError.AUTH_FAILED, assertThrows(EtcdException.class,
        () -> auth.authenticate("carol", "secret")).error());
    assertEquals(EtcdError.AUTH_FAILED, assertThrows(EtcdException.class,
        () -> auth.authenticate("bob", "")).error());
    assertNotEquals(auth.authenticate("alice", "secret"), auth.authenticate("bob", "plain"));
    assertEquals(Optional.of(EtcdError.USER_EMPTY), auth.refusal(null));
    assertEquals(Optional.of(EtcdError.INVALID_AUTH_TOKEN), auth.refusal("made-up"));
  }

  @Test
  void authOffLetsEveryCallPassAndRefusesAuthenticateAsEtcd() {
    EtcdAuth auth = auth("");
    assertEquals(Optional.empty(), auth.refusal(null));
    assertEquals(EtcdError.AUTH_NOT_ENABLED, assertThrows(EtcdException.class,
        () -> auth.authenticate("alice", "secret")).error());
  }

  @Test
  void liveTokensAreBoundedByMaxTokens() {
    EtcdAuth auth = auth("enabled = on, max-tokens = 2, token-ttl = 10s, users = [{ name = bob, password = p }]");
    auth.authenticate("bob", "p");
    auth.authenticate("bob", "p");
    assertEquals(EtcdError.TOO_MANY_REQUESTS, assertThrows(EtcdException.class,
        () -> auth.authenticate("bob", "p")).error());
    now.addAndGet(TimeUnit.SECONDS.toNanos(10));
    auth.authenticate("bob", "p"); // the expired ones were dropped
    assertEquals(1, auth.tokenCount());
  }

  @Test
  void aMalformedUserStopsTheStartNamingTheKey() {
    IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
        () -> auth("users = [{ name = a, password = x, password-hash = y }]"));
    assertTrue(both.getMessage().contains("pekko-raft.etcd.auth.users[0] (a) needs exactly one"), both.getMessage());
    IllegalArgumentException hash = assertThrows(IllegalArgumentException.class,
        () -> auth("users = [{ name = a, password-hash = \"md5:xyz\" }]"));
    assertTrue(hash.getMessage().contains("users[0].password-hash must be pbkdf2-sha256"), hash.getMessage());
    assertThrows(IllegalArgumentException.class, () -> auth("enabled = on"));
  }
}
