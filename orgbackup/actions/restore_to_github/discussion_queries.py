"""The GraphQL documents the restore of discussions sends (GitHub has no REST operation that makes a
discussion). Mutation names and input fields are GitHub's (its published schema; the contract test
tests/unit/contract/test_graphql_documents.py checks each of these documents against it).
"""

from __future__ import annotations

# The target repository: its node id, whether discussions are on, its categories (GitHub's API
# cannot create one: they pre-exist, made by a person or GitHub's defaults; at most 25 exist).
TARGET_QUERY = """
query($o: String!, $n: String!) {
  repository(owner: $o, name: $n) {
    id hasDiscussionsEnabled
    discussionCategories(first: 100) { totalCount nodes { id name slug isAnswerable } }
  }
}
"""

# Discussions on or off (REST's repos/update has no has_discussions in GitHub's description).
SET_DISCUSSIONS = """
mutation($id: ID!, $on: Boolean!) {
  updateRepository(input: {repositoryId: $id, hasDiscussionsEnabled: $on}) { repository { id hasDiscussionsEnabled } }
}
"""

CREATE_DISCUSSION = """
mutation($repositoryId: ID!, $categoryId: ID!, $title: String!, $body: String!) {
  createDiscussion(input: {repositoryId: $repositoryId, categoryId: $categoryId, title: $title, body: $body}) {
    discussion { id number }
  }
}
"""

# A comment ($replyToId null) or a reply to a top-level comment.
ADD_COMMENT = """
mutation($discussionId: ID!, $body: String!, $replyToId: ID) {
  addDiscussionComment(input: {discussionId: $discussionId, body: $body, replyToId: $replyToId}) { comment { id } }
}
"""

MARK_ANSWER = """
mutation($id: ID!) {
  markDiscussionCommentAsAnswer(input: {id: $id}) { discussion { id } }
}
"""

CLOSE_DISCUSSION = """
mutation($id: ID!) {
  closeDiscussion(input: {discussionId: $id}) { discussion { id closed } }
}
"""

LOCK_DISCUSSION = """
mutation($id: ID!) {
  lockLockable(input: {lockableId: $id}) { lockedRecord { locked } }
}
"""

# A discussion's labels: labelIds are node ids of the target repository's labels (REST's node_id).
# GitHub adds those not there yet and keeps the others: sending it again changes nothing.
ADD_LABELS = """
mutation($labelableId: ID!, $labelIds: [ID!]!) {
  addLabelsToLabelable(input: {labelableId: $labelableId, labelIds: $labelIds}) {
    labelable { labels(first: 100) { nodes { name } } }
  }
}
"""

# After a kill: the discussions of the target, newest first, to find one by its body's marker.
FIND_DISCUSSIONS = """
query($o: String!, $n: String!, $after: String) {
  repository(owner: $o, name: $n) {
    discussions(first: 100, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes { id number body }
    }
  }
}
"""

# After a kill: a created discussion's comments and their replies, to find one by its marker.
FIND_COMMENTS = """
query($o: String!, $n: String!, $number: Int!, $after: String) {
  repository(owner: $o, name: $n) {
    discussion(number: $number) {
      comments(first: 50, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { id body replies(first: 100) { nodes { id body } } }
      }
    }
  }
}
"""
