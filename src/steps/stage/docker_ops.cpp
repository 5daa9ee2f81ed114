// The Docker side of staging: stopping this project's containers (step 2) and pruning its
// unused images. Both find containers only by the compose project label
// (Docker::project_containers), so no other project's container or image is ever touched.

#include <algorithm>
#include <cerrno>

#include "core/stage/prune.hpp"
#include "steps/stage/stage_step.hpp"

namespace stagehand::steps {
namespace {

std::vector<std::string> running_services(const std::vector<os::ContainerState>& containers) {
    std::vector<std::string> out;
    for (const auto& c : containers) {
        const bool active = c.running || c.restarting;
        if (active && !c.service.empty() &&
            std::find(out.begin(), out.end(), c.service) == out.end()) {
            out.push_back(c.service);
        }
    }
    return out;
}

}  // namespace

util::Status StageStep::stop_containers(const core::StagePlan& plan, StageOutcome& out) {
    if (m_ctx.docker == nullptr || m_ctx.compose == nullptr) {
        return util::Error{"stage.stop needs Docker, but no Docker client was set up", EINVAL};
    }
    const auto listed = m_ctx.clock.now();
    auto containers = m_ctx.docker->project_containers(plan.project, m_ctx.deadline, m_ctx.cancel);
    if (!containers) {
        return util::Error{"failed to list the containers of project " + plan.project + ": " +
                               containers.error().message,
                           containers.error().code};
    }
    const auto order = core::stop_order(running_services(*containers), m_in.start_order);
    for (const auto& service : order.unknown) {
        add_op(out,
               StageOp{"stop",
                       service,
                       OpStatus::skipped,
                       "running, but the compose file no longer names it; left running",
                       {}},
               listed);
    }
    if (order.ordered.empty() && order.unknown.empty()) {
        add_op(out, StageOp{"stop", plan.project, OpStatus::skipped, "nothing running", {}},
               listed);
    }
    for (const auto& service : order.ordered) {
        if (auto st = check_time(); !st) {
            return st;
        }
        const auto began = m_ctx.clock.now();
        auto st = m_ctx.compose->stop_services({service}, m_in.stop_timeout_seconds, m_ctx.deadline,
                                               m_ctx.cancel);
        if (!st) {
            add_op(out, StageOp{"stop", service, OpStatus::failed, st.error().message, {}}, began);
            return util::Error{"failed to stop service " + service + ": " + st.error().message,
                               st.error().code};
        }
        add_op(out, StageOp{"stop", service, OpStatus::done, "stopped", {}}, began);
    }
    return {};
}

void StageStep::prune_images(const core::StagePlan& plan, StageOutcome& out) {
    const auto began = m_ctx.clock.now();
    // Pruning only frees disk space: a failure is reported but never fails the deployment.
    const auto warn = [&](const std::string& target, const std::string& message) {
        add_op(out, StageOp{"prune", target, OpStatus::failed, message, {}}, began);
    };
    if (m_ctx.docker == nullptr) {
        warn(plan.project, "stage.prune_images needs Docker, but no Docker client was set up");
        return;
    }
    auto containers = m_ctx.docker->project_containers(plan.project, m_ctx.deadline, m_ctx.cancel);
    auto local = m_ctx.docker->list_images(m_ctx.deadline, m_ctx.cancel);
    if (!containers || !local) {
        warn(plan.project, !containers ? containers.error().message : local.error().message);
        return;
    }
    core::PruneFacts facts;
    facts.candidates = m_history_images;
    facts.keep = m_keep_images;
    facts.keep_ids = m_in.keep_image_ids;
    facts.local = *local;
    for (const auto& c : *containers) {
        facts.candidates.push_back(c.image);
        facts.in_use.push_back(c.image);
        facts.in_use.push_back(c.image_id);
    }
    for (const auto& decision : core::decide_prune(facts)) {
        if (!decision.remove) {
            m_ctx.log.debug("", "prune: keeping " + decision.image + ": " + decision.reason);
            continue;
        }
        const auto removing = m_ctx.clock.now();
        // Never forced: Docker itself refuses an image that any container (of any project)
        // still uses, which is the last guard for images shared with another project.
        auto st = m_ctx.docker->remove_image(decision.image, m_ctx.deadline, m_ctx.cancel);
        add_op(out,
               StageOp{"prune",
                       decision.image,
                       st ? OpStatus::done : OpStatus::failed,
                       st ? decision.reason : st.error().message,
                       {}},
               removing);
    }
}

}  // namespace stagehand::steps
