import { workflowInfo } from '@temporalio/workflow';

/**
 * History stays bounded: follow the server's suggestion, and also a page budget (which tests lower to make
 * continue-as-new happen on a small export).
 */
export function shouldContinueAsNew(pagesThisRun: number, pageBudget: number): boolean {
  return workflowInfo().continueAsNewSuggested || pagesThisRun >= pageBudget;
}
