package io.pekkoraft.gateway.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.pekkoraft.gateway.grpc.AppliedEvent;
import io.pekkoraft.gateway.grpc.Configuration;
import io.pekkoraft.gateway.grpc.Member;
import io.pekkoraft.gateway.grpc.StatusResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * How raftctl prints what the gateway answers: {@code text} for people (aligned columns) and {@code json} for
 * scripts (one JSON document per line, fields named as in raft.proto). Payloads and results are the group's JSON:
 * embedded as JSON when they parse as JSON, otherwise as {@code <field>_base64}.
 */
final class Formats {

  static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Formats() {}

  /** {@code text}, or null when it is not one JSON document. */
  static JsonNode parseJson(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      return node == null || node.isMissingNode() ? null : node;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** Why {@code text} is not one JSON document, or null when it is. */
  static String jsonProblem(String text) {
    try {
      JsonNode node = MAPPER.readTree(text);
      return node == null || node.isMissingNode() ? "it is empty" : null;
    } catch (JsonProcessingException e) {
      return e.getOriginalMessage();
    }
  }

  /** Sets {@code field} to the bytes as JSON, or {@code field_base64} when they are not JSON; nothing when empty. */
  static void putPayload(ObjectNode node, String field, ByteString bytes) {
    if (bytes.isEmpty()) return;
    JsonNode json = null;
    try {
      json = MAPPER.readTree(bytes.toByteArray());
    } catch (IOException e) {
      // not JSON: base64 below
    }
    if (json != null && !json.isMissingNode()) {
      node.set(field, json);
    } else {
      node.put(field + "_base64", Base64.getEncoder().encodeToString(bytes.toByteArray()));
    }
  }

  static String line(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + node + " as JSON", e);
    }
  }

  /** A result printed as text: the group's JSON as it came (UTF-8). */
  static String text(ByteString bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** {"index": ..., "result": ...} of a submitted command. */
  static String submitted(long index, ByteString result) {
    ObjectNode node = MAPPER.createObjectNode().put("index", index);
    putPayload(node, "result", result);
    return line(node);
  }

  /** {"result": ...} of a query. */
  static String queried(ByteString result) {
    ObjectNode node = MAPPER.createObjectNode();
    putPayload(node, "result", result);
    return line(node);
  }

  /** One applied event as one JSON line (watch prints these whatever --output says). */
  static String event(AppliedEvent event) {
    ObjectNode node = MAPPER.createObjectNode().put("index", event.getIndex()).put("term", event.getTerm());
    putPayload(node, "payload", event.getPayload());
    putPayload(node, "result", event.getResult());
    if (!event.getError().isEmpty()) node.put("error", event.getError());
    if (event.getSessionId() != 0) node.put("session_id", event.getSessionId()).put("sequence", event.getSequence());
    return line(node);
  }

  static ObjectNode configurationJson(Configuration c) {
    ObjectNode node = MAPPER.createObjectNode();
    c.getVotersList().forEach(node.putArray("voters")::add);
    c.getOldVotersList().forEach(node.putArray("old_voters")::add);
    c.getLearnersList().forEach(node.putArray("learners")::add);
    return node.put("index", c.getIndex()).put("committed", c.getCommitted());
  }

  static String configurationText(Configuration c) {
    String voters = String.join(",", c.getVotersList());
    String old = c.getOldVotersCount() == 0 ? "" : " (joint, leaving " + String.join(",", c.getOldVotersList()) + ")";
    String learners = c.getLearnersCount() == 0 ? "-" : String.join(",", c.getLearnersList());
    return "voters " + voters + old + "; learners " + learners + "; index " + c.getIndex() + " "
        + (c.getCommitted() ? "committed" : "not committed");
  }

  static ArrayNode membersJson(List<Member> members) {
    ArrayNode array = MAPPER.createArrayNode();
    for (Member m : members) {
      array.addObject().put("id", m.getId()).put("role", m.getRole()).put("voter", m.getVoter())
          .put("match_index", m.getMatchIndex()).put("recently_heard", m.getRecentlyHeard())
          .put("address", m.getAddress());
    }
    return array;
  }

  static String membersText(List<Member> members) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"MEMBER", "ROLE", "VOTER", "MATCH", "HEARD", "ADDRESS"});
    for (Member m : members) {
      rows.add(new String[] {m.getId(), m.getRole(), m.getVoter() ? "yes" : "no", String.valueOf(m.getMatchIndex()),
          m.getRecentlyHeard() ? "yes" : "no", m.getAddress().isEmpty() ? "-" : m.getAddress()});
    }
    return table(rows);
  }

  static String statusJson(StatusResponse s) {
    ObjectNode node = MAPPER.createObjectNode().put("group", s.getGroup()).put("leader", s.getLeader())
        .put("term", s.getTerm()).put("commit_index", s.getCommitIndex()).put("served_by", s.getServedBy())
        .put("served_by_role", s.getServedByRole()).put("served_by_applied_index", s.getServedByAppliedIndex());
    node.set("configuration", configurationJson(s.getConfiguration()));
    node.set("members", membersJson(s.getMembersList()));
    return line(node);
  }

  static String statusText(StatusResponse s) {
    return "group      " + s.getGroup() + "\n"
        + "leader     " + (s.getLeader().isEmpty() ? "(none)" : s.getLeader()) + "\n"
        + "term       " + s.getTerm() + "\n"
        + "commit     " + s.getCommitIndex() + "\n"
        + "served by  " + s.getServedBy() + " (" + s.getServedByRole() + ", applied " + s.getServedByAppliedIndex()
        + ")\n"
        + "config     " + configurationText(s.getConfiguration()) + "\n"
        + membersText(s.getMembersList());
  }

  /** Rows in columns two spaces apart, each line ending in a newline except the last. */
  static String table(List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int c = 0; c < columns; c++) width[c] = Math.max(width[c], row[c].length());
    }
    StringBuilder out = new StringBuilder();
    for (int r = 0; r < rows.size(); r++) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        line.append(rows.get(r)[c]);
        if (c < columns - 1) line.append(" ".repeat(width[c] - rows.get(r)[c].length() + 2));
      }
      out.append(line.toString().stripTrailing());
      if (r < rows.size() - 1) out.append('\n');
    }
    return out.toString();
  }
}
