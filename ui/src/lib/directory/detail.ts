// Display words for a user's page and history. What changed and why come from the backend; this only names
// the change log's actions and fields as people read them.

export const HISTORY_PAGE = 20;
export const MEMBERS_PAGE = 50;

const ACTIONS: Record<string, string> = {
  create: 'Created',
  update: 'Updated',
  take_over: 'Taken over',
  disable: 'Disabled',
  enable: 'Enabled',
  trash: 'Moved to the trash',
  restore: 'Restored from the trash',
  purge: 'Deleted for good',
  delete: 'Deleted',
};

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}
