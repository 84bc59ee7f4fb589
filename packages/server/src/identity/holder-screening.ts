import type { HolderView } from '../holders/service.js';
import { type BlockContext, blockHolder } from './apply.js';
import type { IdentityConfig } from './config.js';
import { loadSanctionsList } from './sanctions/list.js';
import { type SanctionsList, type ScreeningThresholds, screenNames } from './sanctions/screen.js';

/** The configured list and thresholds, read at start. */
export interface SanctionsScreen {
  readonly list: SanctionsList;
  readonly thresholds: ScreeningThresholds;
}

export function sanctionsScreen(identity: IdentityConfig): SanctionsScreen {
  return {
    list: loadSanctionsList({
      list_path: identity.sanctions_list_path,
      aliases_path: identity.sanctions_aliases_path,
    }),
    thresholds: {
      review_score_min: identity.sanctions_review_score_min,
      block_score_min: identity.sanctions_block_score_min,
    },
  };
}

/**
 * A holder created or renamed with a name that matches the list (at or above the block score) is
 * blocked at once, in the same transaction: rejected at tier 0, its wallets frozen. It is not
 * refused, which would tell the caller which names are listed. A possible match (review score)
 * changes nothing here: the holder's verification screens its name again and sends it to review.
 */
export async function screenHolder(
  ctx: BlockContext,
  screen: SanctionsScreen,
  holder: HolderView,
): Promise<HolderView> {
  if (holder.name === null) return holder;
  const found = await screenNames(screen.list, [{ party: 'holder', name: holder.name }], screen.thresholds);
  return found.decision === 'block' ? blockHolder(ctx, holder.id) : holder;
}
