"""The GraphQL documents the restore of projects (v2) sends: GitHub has no REST operation for them.
Mutation names and input fields are GitHub's (its published schema; the contract tests check each
of these documents against it: tests/contract/product_graphql.py).
"""

from __future__ import annotations

# The target organization's node id: a project's owner.
OWNER_QUERY = """
query($login: String!) {
  organization(login: $login) { id }
}
"""

# After a kill: the target's projects, to find one made but not recorded (by its title).
FIND_PROJECTS = """
query($login: String!, $after: String) {
  organization(login: $login) {
    projectsV2(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id number title }
    }
  }
}
"""

FIELD_SELECTION = """
__typename
... on ProjectV2Field { id name dataType }
... on ProjectV2SingleSelectField { id name dataType options { id name color description } }
... on ProjectV2IterationField { id name dataType configuration { iterations { id title startDate duration } } }
"""

# A made project as it is now: its settings and fields (a new one has GitHub's default fields).
TARGET_PROJECT = """
query($login: String!, $number: Int!) {
  organization(login: $login) {
    projectV2(number: $number) {
      id title readme shortDescription public closed
      fields(first: 100) { nodes { %s } }
    }
  }
}
""" % FIELD_SELECTION

# A made project's items, with what finds one after a kill: its content, archived, its values.
TARGET_ITEMS = """
query($login: String!, $number: Int!, $after: String) {
  organization(login: $login) {
    projectV2(number: $number) {
      items(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id isArchived
          content {
            __typename
            ... on DraftIssue { title body }
            ... on Issue { id }
            ... on PullRequest { id }
          }
          fieldValues(first: 50) {
            nodes {
              __typename
              ... on ProjectV2ItemFieldTextValue { text field { ... on ProjectV2FieldCommon { id } } }
              ... on ProjectV2ItemFieldNumberValue { number field { ... on ProjectV2FieldCommon { id } } }
              ... on ProjectV2ItemFieldDateValue { date field { ... on ProjectV2FieldCommon { id } } }
              ... on ProjectV2ItemFieldSingleSelectValue { optionId field { ... on ProjectV2FieldCommon { id } } }
              ... on ProjectV2ItemFieldIterationValue { iterationId field { ... on ProjectV2FieldCommon { id } } }
            }
          }
        }
      }
    }
  }
}
"""

# An item's issue or pull request in the target: the restore keeps their numbers.
CONTENT_QUERY = """
query($o: String!, $n: String!, $number: Int!) {
  repository(owner: $o, name: $n) {
    issueOrPullRequest(number: $number) { __typename ... on Issue { id } ... on PullRequest { id } }
  }
}
"""

CREATE_PROJECT = """
mutation($ownerId: ID!, $title: String!) {
  createProjectV2(input: {ownerId: $ownerId, title: $title}) { projectV2 { id number } }
}
"""

# A variable left out leaves that setting as it is.
UPDATE_PROJECT = """
mutation($projectId: ID!, $readme: String, $shortDescription: String, $public: Boolean, $closed: Boolean) {
  updateProjectV2(input: {projectId: $projectId, readme: $readme, shortDescription: $shortDescription,
                          public: $public, closed: $closed}) {
    projectV2 { id }
  }
}
"""

CREATE_FIELD = """
mutation($projectId: ID!, $dataType: ProjectV2CustomFieldType!, $name: String!,
         $singleSelectOptions: [ProjectV2SingleSelectFieldOptionInput!],
         $iterationConfiguration: ProjectV2IterationFieldConfigurationInput) {
  createProjectV2Field(input: {projectId: $projectId, dataType: $dataType, name: $name,
                               singleSelectOptions: $singleSelectOptions,
                               iterationConfiguration: $iterationConfiguration}) {
    projectV2Field { %s }
  }
}
""" % FIELD_SELECTION

# A field the project has already (GitHub's default Status): its options or iterations as the backup's.
UPDATE_FIELD = """
mutation($fieldId: ID!, $singleSelectOptions: [ProjectV2SingleSelectFieldOptionInput!],
         $iterationConfiguration: ProjectV2IterationFieldConfigurationInput) {
  updateProjectV2Field(input: {fieldId: $fieldId, singleSelectOptions: $singleSelectOptions,
                               iterationConfiguration: $iterationConfiguration}) {
    projectV2Field { %s }
  }
}
""" % FIELD_SELECTION

# GitHub's default Status field of a new project, where the original had none.
DELETE_FIELD = """
mutation($fieldId: ID!) {
  deleteProjectV2Field(input: {fieldId: $fieldId}) { projectV2Field { ... on ProjectV2FieldCommon { id } } }
}
"""

ADD_ITEM = """
mutation($projectId: ID!, $contentId: ID!) {
  addProjectV2ItemById(input: {projectId: $projectId, contentId: $contentId}) { item { id } }
}
"""

ADD_DRAFT_ISSUE = """
mutation($projectId: ID!, $title: String!, $body: String) {
  addProjectV2DraftIssue(input: {projectId: $projectId, title: $title, body: $body}) { projectItem { id } }
}
"""

ARCHIVE_ITEM = """
mutation($projectId: ID!, $itemId: ID!) {
  archiveProjectV2Item(input: {projectId: $projectId, itemId: $itemId}) { item { id } }
}
"""

SET_VALUE = """
mutation($projectId: ID!, $itemId: ID!, $fieldId: ID!, $value: ProjectV2FieldValue!) {
  updateProjectV2ItemFieldValue(input: {projectId: $projectId, itemId: $itemId, fieldId: $fieldId, value: $value}) {
    projectV2Item { id }
  }
}
"""
