"""The GraphQL schema the emulator serves: the subset of GitHub's in the issue 11 design, as SDL
(names as GitHub spells them), the mutations restore-to-github sends (discussions, discussions
turned on, projects (v2) with their fields and items; input fields as GitHub's schema has them), and GitHub's limits on a query."""
from __future__ import annotations

from graphql import build_schema


MAX_PAGE = 100          # GitHub's `first` limit
MAX_NODES = 500_000     # GitHub's node limit per query


SDL = """
scalar DateTime
scalar URI
scalar Date
enum OrderDirection { ASC DESC }
interface Node { id: ID! }
interface Actor { login: String! }
type User implements Actor & Node { id: ID! databaseId: Int login: String! }
type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }
type RateLimit { cost: Int! limit: Int! nodeCount: Int! remaining: Int! resetAt: DateTime! used: Int! }
type Query {
  repository(owner: String!, name: String!): Repository
  organization(login: String!): Organization
  rateLimit: RateLimit
  viewer: User!
  node(id: ID!): Node
}
type Repository implements Node {
  id: ID! databaseId: Int name: String! nameWithOwner: String! hasDiscussionsEnabled: Boolean! updatedAt: DateTime!
  isPrivate: Boolean! url: URI!
  discussions(first: Int, after: String, categoryId: ID = null, answered: Boolean = null,
              orderBy: DiscussionOrder = {field: UPDATED_AT, direction: DESC}): DiscussionConnection!
  discussion(number: Int!): Discussion
  discussionCategories(first: Int, after: String): DiscussionCategoryConnection!
  issues(first: Int, after: String, orderBy: IssueOrder = {field: CREATED_AT, direction: ASC},
         states: [IssueState!]): IssueConnection!
  pullRequests(first: Int, after: String, orderBy: IssueOrder = {field: CREATED_AT, direction: ASC},
               states: [PullRequestState!]): PullRequestConnection!
  milestones(first: Int, after: String): MilestoneConnection
  labels(first: Int, after: String): LabelConnection
  releases(first: Int, after: String): ReleaseConnection!
  deployKeys(first: Int, after: String): DeployKeyConnection!
  environments(first: Int, after: String): EnvironmentConnection!
  rulesets(first: Int, after: String, includeParents: Boolean = true): RepositoryRulesetConnection
  commitComments(first: Int, after: String): CommitCommentConnection!
  branchProtectionRules(first: Int, after: String): BranchProtectionRuleConnection!
  collaborators(affiliation: CollaboratorAffiliation, first: Int, after: String): RepositoryCollaboratorConnection
  issueOrPullRequest(number: Int!): IssueOrPullRequest
}
union IssueOrPullRequest = Issue | PullRequest
enum CollaboratorAffiliation { ALL DIRECT OUTSIDE }
enum RepositoryPermission { ADMIN MAINTAIN READ TRIAGE WRITE }
enum DefaultRepositoryPermissionField { ADMIN NONE READ WRITE }
type PermissionSource { permission: DefaultRepositoryPermissionField! roleName: String }
type RepositoryCollaboratorEdge { cursor: String! node: User! permission: RepositoryPermission! permissionSources: [PermissionSource!] }
type RepositoryCollaboratorConnection { edges: [RepositoryCollaboratorEdge] nodes: [User] pageInfo: PageInfo! totalCount: Int! }
union RuleSource = Organization | Repository
type BranchProtectionRule implements Node { id: ID! pattern: String! }
type BranchProtectionRuleConnection { totalCount: Int! nodes: [BranchProtectionRule] pageInfo: PageInfo! }
type Milestone implements Node { id: ID! number: Int! title: String! }
type MilestoneConnection { totalCount: Int! nodes: [Milestone] pageInfo: PageInfo! }
type Release implements Node { id: ID! tagName: String! name: String }
type ReleaseConnection { totalCount: Int! nodes: [Release] pageInfo: PageInfo! }
type DeployKey implements Node { id: ID! title: String! }
type DeployKeyConnection { totalCount: Int! nodes: [DeployKey] pageInfo: PageInfo! }
type Environment implements Node { id: ID! name: String! }
type EnvironmentConnection { totalCount: Int! nodes: [Environment] pageInfo: PageInfo! }
type RepositoryRuleset implements Node { id: ID! databaseId: Int name: String! source: RuleSource! }
type RepositoryRulesetConnection { totalCount: Int! nodes: [RepositoryRuleset] pageInfo: PageInfo! }
type CommitComment implements Node { id: ID! body: String! }
type CommitCommentConnection { totalCount: Int! nodes: [CommitComment] pageInfo: PageInfo! }
input IssueOrder { field: IssueOrderField! direction: OrderDirection! }
enum IssueOrderField { CREATED_AT UPDATED_AT COMMENTS }
enum IssueState { OPEN CLOSED }
enum PullRequestState { OPEN CLOSED MERGED }
type IssueConnection { totalCount: Int! nodes: [Issue] pageInfo: PageInfo! }
type PullRequestConnection { totalCount: Int! nodes: [PullRequest] pageInfo: PageInfo! }
input DiscussionOrder { field: DiscussionOrderField! direction: OrderDirection! }
enum DiscussionOrderField { CREATED_AT UPDATED_AT }
type DiscussionConnection { totalCount: Int! nodes: [Discussion] pageInfo: PageInfo! }
type DiscussionCategoryConnection { totalCount: Int! nodes: [DiscussionCategory] pageInfo: PageInfo! }
type DiscussionCategory implements Node { id: ID! name: String! slug: String! emoji: String! description: String isAnswerable: Boolean! }
type Discussion implements Node & Lockable & Labelable {
  id: ID! databaseId: Int number: Int! title: String! body: String! url: URI! author: Actor
  createdAt: DateTime! updatedAt: DateTime! closed: Boolean! closedAt: DateTime locked: Boolean! upvoteCount: Int!
  activeLockReason: LockReason
  category: DiscussionCategory! answer: DiscussionComment answerChosenAt: DateTime answerChosenBy: Actor
  labels(first: Int, after: String): LabelConnection
  comments(first: Int, after: String): DiscussionCommentConnection!
}
type DiscussionCommentConnection { totalCount: Int! nodes: [DiscussionComment] pageInfo: PageInfo! }
type DiscussionComment implements Node {
  id: ID! databaseId: Int body: String! author: Actor createdAt: DateTime! updatedAt: DateTime! isAnswer: Boolean!
  upvoteCount: Int! url: URI! replyTo: DiscussionComment
  replies(first: Int, after: String): DiscussionCommentConnection!
}
type LabelConnection { totalCount: Int! nodes: [Label] pageInfo: PageInfo! }
type Label implements Node { id: ID! name: String! color: String! description: String isDefault: Boolean! }
type Organization implements Node & Actor {
  id: ID! databaseId: Int login: String!
  # nullable here (GitHub: ProjectV2Connection!) so that a missing read:project scope gives
  # `projectsV2: null` next to the error, as GitHub answers, instead of a null organization
  projectsV2(first: Int, after: String, orderBy: ProjectV2Order = {field: NUMBER, direction: DESC}): ProjectV2Connection
  projectV2(number: Int!): ProjectV2
}
input ProjectV2Order { field: ProjectV2OrderField! direction: OrderDirection! }
enum ProjectV2OrderField { TITLE NUMBER UPDATED_AT CREATED_AT }
type ProjectV2Connection { totalCount: Int! nodes: [ProjectV2] pageInfo: PageInfo! }
type ProjectV2 implements Node {
  id: ID! number: Int! title: String! shortDescription: String readme: String public: Boolean! closed: Boolean!
  url: URI! createdAt: DateTime! updatedAt: DateTime! creator: Actor
  fields(first: Int, after: String): ProjectV2FieldConfigurationConnection!
  items(first: Int, after: String): ProjectV2ItemConnection!
}
enum ProjectV2FieldType { ASSIGNEES DATE ITERATION LABELS LINKED_PULL_REQUESTS MILESTONE NUMBER REPOSITORY REVIEWERS SINGLE_SELECT TEXT TITLE TRACKS }
interface ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! }
type ProjectV2Field implements Node & ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! }
type ProjectV2SingleSelectField implements Node & ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! options: [ProjectV2SingleSelectFieldOption!]! }
enum ProjectV2SingleSelectFieldOptionColor { BLUE GRAY GREEN ORANGE PINK PURPLE RED YELLOW }
type ProjectV2SingleSelectFieldOption { id: String! name: String! color: ProjectV2SingleSelectFieldOptionColor! description: String! }
type ProjectV2IterationField implements Node & ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! configuration: ProjectV2IterationFieldConfiguration! }
type ProjectV2IterationFieldConfiguration { duration: Int! startDay: Int! iterations: [ProjectV2IterationFieldIteration!]! }
type ProjectV2IterationFieldIteration { id: String! title: String! startDate: Date! duration: Int! }
union ProjectV2FieldConfiguration = ProjectV2Field | ProjectV2IterationField | ProjectV2SingleSelectField
type ProjectV2FieldConfigurationConnection { totalCount: Int! nodes: [ProjectV2FieldConfiguration] pageInfo: PageInfo! }
enum ProjectV2ItemType { DRAFT_ISSUE ISSUE PULL_REQUEST REDACTED }
type ProjectV2ItemConnection { totalCount: Int! nodes: [ProjectV2Item] pageInfo: PageInfo! }
type ProjectV2Item implements Node {
  id: ID! type: ProjectV2ItemType! isArchived: Boolean! createdAt: DateTime! updatedAt: DateTime!
  content: ProjectV2ItemContent
  fieldValues(first: Int, after: String): ProjectV2ItemFieldValueConnection!
}
union ProjectV2ItemContent = DraftIssue | Issue | PullRequest
type DraftIssue implements Node { id: ID! title: String! body: String! creator: Actor createdAt: DateTime! updatedAt: DateTime! }
type Issue implements Node { id: ID! number: Int! title: String! url: URI! repository: Repository!
  createdAt: DateTime! updatedAt: DateTime! }
type PullRequest implements Node { id: ID! number: Int! title: String! url: URI! repository: Repository!
  createdAt: DateTime! updatedAt: DateTime! }
union ProjectV2ItemFieldValue = ProjectV2ItemFieldTextValue | ProjectV2ItemFieldNumberValue | ProjectV2ItemFieldDateValue | ProjectV2ItemFieldSingleSelectValue | ProjectV2ItemFieldIterationValue
type ProjectV2ItemFieldValueConnection { totalCount: Int! nodes: [ProjectV2ItemFieldValue] pageInfo: PageInfo! }
type ProjectV2ItemFieldTextValue { text: String field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldNumberValue { number: Float field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldDateValue { date: Date field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldSingleSelectValue { name: String optionId: String field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldIterationValue { title: String! iterationId: String! startDate: Date! duration: Int! field: ProjectV2FieldConfiguration! }
""" + """
type Mutation {
  createDiscussion(input: CreateDiscussionInput!): CreateDiscussionPayload
  addDiscussionComment(input: AddDiscussionCommentInput!): AddDiscussionCommentPayload
  markDiscussionCommentAsAnswer(input: MarkDiscussionCommentAsAnswerInput!): MarkDiscussionCommentAsAnswerPayload
  closeDiscussion(input: CloseDiscussionInput!): CloseDiscussionPayload
  lockLockable(input: LockLockableInput!): LockLockablePayload
  addLabelsToLabelable(input: AddLabelsToLabelableInput!): AddLabelsToLabelablePayload
  updateRepository(input: UpdateRepositoryInput!): UpdateRepositoryPayload
  createProjectV2(input: CreateProjectV2Input!): CreateProjectV2Payload
  updateProjectV2(input: UpdateProjectV2Input!): UpdateProjectV2Payload
  createProjectV2Field(input: CreateProjectV2FieldInput!): CreateProjectV2FieldPayload
  updateProjectV2Field(input: UpdateProjectV2FieldInput!): UpdateProjectV2FieldPayload
  deleteProjectV2Field(input: DeleteProjectV2FieldInput!): DeleteProjectV2FieldPayload
  addProjectV2ItemById(input: AddProjectV2ItemByIdInput!): AddProjectV2ItemByIdPayload
  addProjectV2DraftIssue(input: AddProjectV2DraftIssueInput!): AddProjectV2DraftIssuePayload
  archiveProjectV2Item(input: ArchiveProjectV2ItemInput!): ArchiveProjectV2ItemPayload
  updateProjectV2ItemFieldValue(input: UpdateProjectV2ItemFieldValueInput!): UpdateProjectV2ItemFieldValuePayload
}
enum LockReason { OFF_TOPIC RESOLVED SPAM TOO_HEATED }
enum DiscussionCloseReason { DUPLICATE OUTDATED RESOLVED }
interface Lockable { activeLockReason: LockReason locked: Boolean! }
interface Labelable { labels(first: Int, after: String): LabelConnection }
input CreateDiscussionInput { body: String! categoryId: ID! clientMutationId: String repositoryId: ID! title: String! }
type CreateDiscussionPayload { clientMutationId: String discussion: Discussion }
input AddDiscussionCommentInput { body: String! clientMutationId: String discussionId: ID! replyToId: ID }
type AddDiscussionCommentPayload { clientMutationId: String comment: DiscussionComment }
input MarkDiscussionCommentAsAnswerInput { clientMutationId: String id: ID! }
type MarkDiscussionCommentAsAnswerPayload { clientMutationId: String discussion: Discussion }
input CloseDiscussionInput { clientMutationId: String discussionId: ID! reason: DiscussionCloseReason = RESOLVED }
type CloseDiscussionPayload { clientMutationId: String discussion: Discussion }
input LockLockableInput { clientMutationId: String lockReason: LockReason lockableId: ID! }
type LockLockablePayload { actor: Actor clientMutationId: String lockedRecord: Lockable }
input AddLabelsToLabelableInput { clientMutationId: String labelIds: [ID!]! labelableId: ID! }
type AddLabelsToLabelablePayload { clientMutationId: String labelable: Labelable }
input UpdateRepositoryInput {
  clientMutationId: String description: String hasDiscussionsEnabled: Boolean hasIssuesEnabled: Boolean
  hasProjectsEnabled: Boolean hasSponsorshipsEnabled: Boolean hasWikiEnabled: Boolean homepageUrl: URI name: String
  repositoryId: ID! template: Boolean
}
type UpdateRepositoryPayload { clientMutationId: String repository: Repository }
input CreateProjectV2Input { clientMutationId: String ownerId: ID! repositoryId: ID teamId: ID title: String! }
type CreateProjectV2Payload { clientMutationId: String projectV2: ProjectV2 }
input UpdateProjectV2Input {
  clientMutationId: String closed: Boolean projectId: ID! public: Boolean readme: String shortDescription: String title: String
}
type UpdateProjectV2Payload { clientMutationId: String projectV2: ProjectV2 }
enum ProjectV2CustomFieldType { DATE ITERATION NUMBER SINGLE_SELECT TEXT }
input ProjectV2SingleSelectFieldOptionInput { color: ProjectV2SingleSelectFieldOptionColor! description: String! name: String! }
input ProjectV2Iteration { duration: Int! startDate: Date! title: String! }
input ProjectV2IterationFieldConfigurationInput { duration: Int! iterations: [ProjectV2Iteration!]! startDate: Date! }
input CreateProjectV2FieldInput {
  clientMutationId: String dataType: ProjectV2CustomFieldType! iterationConfiguration: ProjectV2IterationFieldConfigurationInput
  name: String! projectId: ID! singleSelectOptions: [ProjectV2SingleSelectFieldOptionInput!]
}
type CreateProjectV2FieldPayload { clientMutationId: String projectV2Field: ProjectV2FieldConfiguration }
input UpdateProjectV2FieldInput {
  clientMutationId: String fieldId: ID! iterationConfiguration: ProjectV2IterationFieldConfigurationInput name: String
  singleSelectOptions: [ProjectV2SingleSelectFieldOptionInput!]
}
type UpdateProjectV2FieldPayload { clientMutationId: String projectV2Field: ProjectV2FieldConfiguration }
input DeleteProjectV2FieldInput { clientMutationId: String fieldId: ID! }
type DeleteProjectV2FieldPayload { clientMutationId: String projectV2Field: ProjectV2FieldConfiguration }
input AddProjectV2ItemByIdInput { clientMutationId: String contentId: ID! projectId: ID! }
type AddProjectV2ItemByIdPayload { clientMutationId: String item: ProjectV2Item }
input AddProjectV2DraftIssueInput { assigneeIds: [ID!] body: String clientMutationId: String projectId: ID! title: String! }
type AddProjectV2DraftIssuePayload { clientMutationId: String projectItem: ProjectV2Item }
input ArchiveProjectV2ItemInput { clientMutationId: String itemId: ID! projectId: ID! }
type ArchiveProjectV2ItemPayload { clientMutationId: String item: ProjectV2Item }
input ProjectV2FieldValue { date: Date iterationId: String number: Float singleSelectOptionId: String text: String }
input UpdateProjectV2ItemFieldValueInput {
  clientMutationId: String fieldId: ID! itemId: ID! projectId: ID! value: ProjectV2FieldValue!
}
type UpdateProjectV2ItemFieldValuePayload { clientMutationId: String projectV2Item: ProjectV2Item }
"""


SCHEMA = build_schema(SDL)
